using System;
using System.Collections.Generic;
using System.Linq;

namespace Agno.Core
{
    /// <summary>
    /// A store in this process's memory, with the protocol of every store (versions, merges, runs):
    /// sessions outlive the objects that opened them, not the process. One lock is its transaction.
    /// </summary>
    public sealed class InMemorySessionStore : SessionStoreBase
    {
        private sealed class Session
        {
            public long Instance;
            public string SessionId = "";
            public string? UserId;
            public long Version;
            public long PrunedVersion;
            public object? Input;
            public DateTimeOffset CreatedAt = DateTimeOffset.Now;
            public DateTimeOffset UpdatedAt = DateTimeOffset.Now;
            public readonly Dictionary<string, StoredEntry> Values = new Dictionary<string, StoredEntry>(StringComparer.OrdinalIgnoreCase);
            public readonly Dictionary<string, StoredEntry> Removed = new Dictionary<string, StoredEntry>(StringComparer.OrdinalIgnoreCase);
        }

        private sealed class Run
        {
            public string SessionId = "";
            public string Name = "";
            public string Status = "";
            public long Order;
            public DateTimeOffset StartedAt = DateTimeOffset.Now;
            public string? Record;
            public readonly HashSet<string> Completed = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        }

        private readonly object _lock = new object();
        private readonly Dictionary<string, Session> _sessions = new Dictionary<string, Session>(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<Guid, Run> _runs = new Dictionary<Guid, Run>();
        private long _instances;
        private long _runOrder;

        /// <summary>An empty store named <paramref name="name"/> (its <see cref="Location"/>).</summary>
        public InMemorySessionStore(string name = "memory") { Location = name; }

        /// <summary>The name the store was made with.</summary>
        public override string Location { get; }

        /// <inheritdoc/>
        protected override T InTransaction<T>(bool write, Func<T> work)
        {
            lock (_lock) return work();
        }

        /// <inheritdoc/>
        protected override SessionRow? ReadSession(string sessionId) =>
            _sessions.TryGetValue(sessionId, out var s) ? new SessionRow(s.Instance, s.SessionId, s.UserId, s.Version, s.PrunedVersion) : null;

        /// <inheritdoc/>
        protected override SessionRow InsertSession(string sessionId, string? userId, object? input)
        {
            var session = _sessions[sessionId] = new Session { Instance = ++_instances, SessionId = sessionId, UserId = userId, Input = input };
            return new SessionRow(session.Instance, sessionId, userId, 0, 0);
        }

        /// <inheritdoc/>
        protected override object? ReadInput(string sessionId) => _sessions[sessionId].Input;

        /// <inheritdoc/>
        protected override void WriteInput(string sessionId, object? input) => _sessions[sessionId].Input = input;

        /// <inheritdoc/>
        protected override void SetVersion(string sessionId, long version)
        {
            var s = _sessions[sessionId];
            s.Version = version;
            s.UpdatedAt = DateTimeOffset.Now;
        }

        /// <inheritdoc/>
        protected override IReadOnlyList<StoredEntry> ReadValues(string sessionId, long? sinceVersion)
        {
            var s = _sessions[sessionId];
            if (sinceVersion == null) return s.Values.Values.ToList();
            return s.Values.Values.Concat(s.Removed.Values).Where(e => e.Version > sinceVersion.Value).ToList();
        }

        /// <inheritdoc/>
        protected override void WriteValue(string sessionId, string key, object? value, long version)
        {
            var s = _sessions[sessionId];
            s.Values[key] = new StoredEntry(s.Values.TryGetValue(key, out var old) ? old.Key : key, false, value, version);
            s.Removed.Remove(key);
        }

        /// <inheritdoc/>
        protected override void DeleteValue(string sessionId, string key, long version)
        {
            var s = _sessions[sessionId];
            s.Values.Remove(key);
            s.Removed[key] = new StoredEntry(key, true, null, version);
        }

        /// <inheritdoc/>
        protected override void SaveCheckpoint(string sessionId, Checkpoint checkpoint)
        {
            var run = RunOf(sessionId, checkpoint.RunId, checkpoint.RunName);
            run.Status = nameof(NodeStatus.Running);
            run.Completed.Add(checkpoint.NodeName);
        }

        /// <inheritdoc/>
        protected override void SaveRun(string sessionId, Guid runId, string name, string status, DateTimeOffset startedAt, string record)
        {
            var run = RunOf(sessionId, runId, name);
            run.Status = status;
            run.Record = record;
        }

        private Run RunOf(string sessionId, Guid runId, string name)
        {
            if (!_runs.TryGetValue(runId, out var run)) _runs[runId] = run = new Run { SessionId = sessionId, Name = name, Order = ++_runOrder };
            return run;
        }

        private IEnumerable<KeyValuePair<Guid, Run>> RunsOf(string sessionId) =>
            _runs.Where(r => r.Value.SessionId == sessionId).OrderBy(r => r.Value.Order);

        /// <inheritdoc/>
        protected override void TrimRuns(string sessionId, int keep)
        {
            var runs = RunsOf(sessionId).ToList();
            foreach (var run in runs.Take(Math.Max(0, runs.Count - keep))) _runs.Remove(run.Key);
        }

        /// <inheritdoc/>
        protected override (Guid RunId, string Status)? LatestRun(string sessionId, string name)
        {
            var latest = RunsOf(sessionId).LastOrDefault(r => string.Equals(r.Value.Name, name, StringComparison.OrdinalIgnoreCase));
            return latest.Value == null ? null : (latest.Key, latest.Value.Status);
        }

        /// <inheritdoc/>
        protected override IReadOnlyCollection<string> CompletedNodes(Guid runId) =>
            _runs.TryGetValue(runId, out var run) ? run.Completed.ToList() : new List<string>();

        /// <inheritdoc/>
        protected override IReadOnlyList<StoredRun> ReadRuns(string sessionId, int last)
        {
            var runs = RunsOf(sessionId).ToList();
            return runs.Skip(Math.Max(0, runs.Count - last))
                .Select(r => new StoredRun(r.Key, r.Value.Name, r.Value.Status, r.Value.StartedAt, r.Value.Record, r.Value.Completed.ToList())).ToList();
        }

        /// <inheritdoc/>
        protected override void DeleteSession(string sessionId)
        {
            foreach (var runId in RunsOf(sessionId).Select(r => r.Key).ToList()) _runs.Remove(runId);
            _sessions.Remove(sessionId);
        }

        /// <inheritdoc/>
        protected override void PruneRemovals()
        {
            foreach (var s in _sessions.Values.Where(s => s.Removed.Count > 0))
            {
                s.PrunedVersion = s.Version;
                s.Removed.Clear();
            }
        }

        /// <inheritdoc/>
        protected override void Compact() { }

        /// <inheritdoc/>
        public override IReadOnlyList<SessionInfo> ListSessions(string? userId = null)
        {
            lock (_lock)
            {
                return _sessions.Values.Where(s => userId == null || s.UserId == userId)
                    .Select(s => new SessionInfo(s.SessionId, s.UserId, s.Values.Count, s.CreatedAt, s.UpdatedAt, s.Version,
                        RunsOf(s.SessionId).LastOrDefault().Value?.Status, Location))
                    .OrderBy(s => s.SessionId, StringComparer.OrdinalIgnoreCase).ToList();
            }
        }
    }
}
