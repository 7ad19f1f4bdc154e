using System;
using System.Collections.Generic;
using System.Linq;

namespace Agno.Core
{
    /// <summary>
    /// What every store does the same way: open a session and bind its state, and commit a delta onto
    /// the latest stored version (merging with what other writers committed since the delta's base,
    /// with the merge rules of parallel branches: the later commit wins a conflict). Stores supply
    /// the storage primitives, each called inside <see cref="InTransaction{T}"/>.
    /// </summary>
    public abstract class SessionStoreBase : ISessionStore
    {
        public abstract string Location { get; }

        protected sealed class SessionRow
        {
            public SessionRow(string sessionId, string? userId, long version, object? input)
            {
                SessionId = sessionId;
                UserId = userId;
                Version = version;
                Input = input;
            }

            public string SessionId { get; }
            public string? UserId { get; }
            public long Version { get; }
            public object? Input { get; }
        }

        /// <summary>Runs <paramref name="work"/> as one transaction that excludes other writers (of every process).</summary>
        protected abstract T InTransaction<T>(Func<T> work);
        protected abstract SessionRow? ReadSession(string sessionId);
        protected abstract void InsertSession(string sessionId, string? userId, object? input);
        protected abstract void SetVersion(string sessionId, long version);
        protected abstract bool TryReadValue(string sessionId, string key, out object? value);
        protected abstract IReadOnlyDictionary<string, object?> ReadAllValues(string sessionId);
        protected abstract void WriteValue(string sessionId, string key, object? value);
        protected abstract void DeleteValue(string sessionId, string key);
        protected abstract void SaveRun(string sessionId, Guid runId, string name, string status);
        protected abstract void AddCompletedNode(Guid runId, string nodeName);
        protected abstract (Guid RunId, string Status)? LatestRun(string sessionId, string name);
        protected abstract IReadOnlyCollection<string> CompletedNodes(Guid runId);
        public abstract IReadOnlyList<SessionInfo> ListSessions(string? userId = null);
        public abstract bool RemoveSession(string sessionId);

        public AgnoSession OpenSession(string? sessionId, string? userId = null, object? input = null, IValueCopier? copier = null)
        {
            if (sessionId != null && string.IsNullOrWhiteSpace(sessionId))
            {
                throw new ArgumentException("A SessionId cannot be empty or white space; omit it to get a new GUID.", nameof(sessionId));
            }
            var id = sessionId ?? Guid.NewGuid().ToString();
            copier ??= DefaultValueCopier.Instance;
            var storedInput = input == null ? null : copier.Copy(input);
            var (row, values) = InTransaction(() =>
            {
                var existing = ReadSession(id);
                if (existing == null)
                {
                    InsertSession(id, userId, storedInput);
                    existing = new SessionRow(id, userId, 0, storedInput);
                }
                return (existing, ReadAllValues(id));
            });
            if (userId != null && row.UserId != null && !string.Equals(userId, row.UserId, StringComparison.Ordinal))
            {
                throw new StoreException("AgnoSessionUserMismatch",
                    $"Session '{id}' in store '{Location}' belongs to user '{row.UserId}', not '{userId}'; it was not opened. Open it with its own UserId.");
            }
            var state = new AgnoState(values.ToDictionary(v => v.Key, v => v.Value, StringComparer.OrdinalIgnoreCase), copier);
            var binding = new SessionBinding(this, id, row.Version);
            state.Bind(binding);
            return AgnoSession.Create(id, row.UserId ?? userId, row.Input, state, binding);
        }

        internal void RecordRun(string sessionId, Guid runId, string name, NodeStatus status) =>
            InTransaction(() => { SaveRun(sessionId, runId, name, status.ToString()); return 0; });

        internal ResumePoint? FindUnfinishedRun(string sessionId, string name) => InTransaction(() =>
        {
            var latest = LatestRun(sessionId, name);
            if (latest == null || latest.Value.Status == nameof(NodeStatus.Completed) || latest.Value.Status == nameof(NodeStatus.CompletedWithErrors)) return null;
            return new ResumePoint(latest.Value.RunId, CompletedNodes(latest.Value.RunId));
        });

        internal (long Version, StateCommit Commit) Commit(string sessionId, long baseVersion, StateSnapshot baseState, StateDelta delta, Checkpoint? checkpoint)
        {
            return InTransaction(() =>
            {
                var row = ReadSession(sessionId) ?? throw new StoreException("AgnoSessionRemoved",
                    $"Session '{sessionId}' is no longer in store '{Location}' (it was removed); nothing was saved. Open it again with New-AgnoSession.");
                bool othersWrote = row.Version != baseVersion;
                var conflicts = (IReadOnlyList<MergeConflict>)Array.Empty<MergeConflict>();
                if (othersWrote)
                {
                    (delta, conflicts) = MergeWithStored(sessionId, baseState, delta);
                }
                foreach (var change in delta.Changes)
                {
                    if (change.IsRemoval) DeleteValue(sessionId, change.Key);
                    else WriteValue(sessionId, change.Key, change.Value);
                }
                long version = row.Version + (delta.IsEmpty ? 0 : 1);
                if (version != row.Version) SetVersion(sessionId, version);
                if (checkpoint != null) AddCompletedNode(checkpoint.RunId, checkpoint.NodeName);
                var reloaded = othersWrote ? ReadAllValues(sessionId) : null;
                return (version, new StateCommit(delta, reloaded, conflicts));
            });
        }

        /// <summary>
        /// Treats what other writers committed to this delta's keys since its base as an earlier branch,
        /// and this delta as the later one, and merges them with the parallel merge rule.
        /// </summary>
        private (StateDelta, IReadOnlyList<MergeConflict>) MergeWithStored(string sessionId, StateSnapshot baseState, StateDelta delta)
        {
            var copier = baseState.Copier;
            var stored = new Dictionary<string, StateChange>(StringComparer.OrdinalIgnoreCase);
            foreach (var change in delta.Changes)
            {
                bool inBase = baseState.TryGetStored(change.Key, out var baseValue);
                bool inStore = TryReadValue(sessionId, change.Key, out var storedValue);
                if (inBase != inStore || (inStore && !copier.AreEqual(baseValue, storedValue)))
                {
                    stored[change.Key] = inStore ? StateChange.Set(change.Key, storedValue) : StateChange.Remove(change.Key);
                }
            }
            if (stored.Count == 0) return (delta, Array.Empty<MergeConflict>());
            var merged = StateMerger.Merge("commit", baseState,
                new[] { new BranchDelta("an earlier commit", new StateDelta(stored)), new BranchDelta("this commit", delta) }, new MergePolicy());
            return (merged.Delta, merged.Conflicts);
        }

        public virtual void Dispose() { }
    }
}
