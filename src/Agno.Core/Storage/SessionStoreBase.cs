using System;
using System.Collections.Generic;
using System.Linq;

namespace Agno.Core
{
    /// <summary>
    /// The commit protocol, the same for every store; stores supply small storage primitives, each
    /// called inside <see cref="InTransaction{T}"/>.
    /// <list type="bullet">
    /// <item>A session has a version, advanced by one by every commit that changes something; every
    /// stored value and every removal (a tombstone) carries the version that wrote it.</item>
    /// <item>A state shows one version. Before it is read or forked it pulls the changes since that
    /// version (one lookup of the session's version when there are none).</item>
    /// <item>A commit carries its delta and the version the delta was made against (its base). In one
    /// write transaction it reads what others committed since that base, merges its delta's keys with
    /// theirs by the session's merge rules (their commits as earlier branches, in version order, this
    /// one last), writes the result at the next version, and returns everything memory needs to show it.</item>
    /// </list>
    /// </summary>
    public abstract class SessionStoreBase : ISessionStore
    {
        /// <inheritdoc/>
        public abstract string Location { get; }

        /// <summary>A session as stored: its identity (a new <see cref="Instance"/> when removed and created again), owner and version.</summary>
        protected sealed class SessionRow
        {
            /// <summary>A session as a store reads it.</summary>
            public SessionRow(long instance, string sessionId, string? userId, long version, long prunedVersion)
            {
                Instance = instance;
                SessionId = sessionId;
                UserId = userId;
                Version = version;
                PrunedVersion = prunedVersion;
            }

            /// <summary>Which incarnation of the id this is: a session removed and created again gets a new one, so that objects still bound to the old one are refused.</summary>
            public long Instance { get; }

            /// <summary>The id as first written (ids compare case-insensitively).</summary>
            public string SessionId { get; }

            /// <summary>The user the session belongs to; null when it was stored without one.</summary>
            public string? UserId { get; }

            /// <summary>The session's version: how many commits changed something.</summary>
            public long Version { get; }

            /// <summary>Removals up to this version are forgotten (see <see cref="Optimize"/>): a state older than that reloads whole.</summary>
            public long PrunedVersion { get; }
        }

        /// <summary>A stored key: its value, or its removal, and the version that wrote it.</summary>
        protected sealed class StoredEntry
        {
            /// <summary>A stored key as a store reads it: its value, or its removal, and the version that wrote it.</summary>
            public StoredEntry(string key, bool isRemoval, object? value, long version)
            {
                Key = key;
                IsRemoval = isRemoval;
                Value = value;
                Version = version;
            }

            /// <summary>The key, in its stored casing.</summary>
            public string Key { get; }

            /// <summary>True for a tombstone: the key was removed at <see cref="Version"/>.</summary>
            public bool IsRemoval { get; }

            /// <summary>The stored value; null for a removal. What a store hands out goes into a state, which never changes it.</summary>
            public object? Value { get; }

            /// <summary>The version that wrote the value or the removal.</summary>
            public long Version { get; }
        }

        /// <summary>A stored run: its row, and its record (null until it ends, and in stores written before records were kept).</summary>
        protected sealed class StoredRun
        {
            /// <summary>A run as a store reads it.</summary>
            public StoredRun(Guid runId, string name, string status, DateTimeOffset startedAt, string? record, IReadOnlyCollection<string> completedNodes)
            {
                RunId = runId;
                Name = name;
                Status = status;
                StartedAt = startedAt;
                Record = record;
                CompletedNodes = completedNodes;
            }

            /// <summary>The run's id.</summary>
            public Guid RunId { get; }

            /// <summary>The name of the node the run was started on (what a resume looks it up by).</summary>
            public string Name { get; }

            /// <summary>The run's status, a <see cref="NodeStatus"/> name: Running until it ends.</summary>
            public string Status { get; }

            /// <summary>When the run started, as the store knows it (for a run stored by a checkpoint before it ended, that first checkpoint's time).</summary>
            public DateTimeOffset StartedAt { get; }

            /// <summary>The run's record as JSON; null until it ends, and in stores written before records were kept.</summary>
            public string? Record { get; }

            /// <summary>The top-level nodes its checkpoints record as completed: what a run without a record shows (a store may leave it empty when there is a record).</summary>
            public IReadOnlyCollection<string> CompletedNodes { get; }
        }

        /// <summary>
        /// Runs <paramref name="work"/> as one transaction: a write transaction excludes every other
        /// writer of the session (of every process) until it ends; a read sees one consistent version.
        /// </summary>
        protected abstract T InTransaction<T>(bool write, Func<T> work);

        /// <summary>The session whose id equals <paramref name="sessionId"/> case-insensitively; null if none.</summary>
        protected abstract SessionRow? ReadSession(string sessionId);

        /// <summary>Creates session <paramref name="sessionId"/> at version 0, with <paramref name="userId"/> and <paramref name="input"/>, and returns its row.</summary>
        protected abstract SessionRow InsertSession(string sessionId, string? userId, object? input);

        /// <summary>The session's stored input; null when it has none.</summary>
        protected abstract object? ReadInput(string sessionId);

        /// <summary>Replaces the session's stored input.</summary>
        protected abstract void WriteInput(string sessionId, object? input);

        /// <summary>Sets the session's version after a commit (and when it was last updated).</summary>
        protected abstract void SetVersion(string sessionId, long version);

        /// <summary>With <paramref name="sinceVersion"/> null, every stored value; otherwise the values and removals written after it.</summary>
        protected abstract IReadOnlyList<StoredEntry> ReadValues(string sessionId, long? sinceVersion);

        /// <summary>Writes a key's value at <paramref name="version"/> (keeping the key's stored casing), forgetting a removal of it.</summary>
        protected abstract void WriteValue(string sessionId, string key, object? value, long version);

        /// <summary>Removes a key at <paramref name="version"/>, leaving a tombstone that pulls since an earlier version see.</summary>
        protected abstract void DeleteValue(string sessionId, string key, long version);

        /// <summary>Records that <paramref name="checkpoint"/>'s node completed, adding its run (Running) if it is not there yet.</summary>
        protected abstract void SaveCheckpoint(string sessionId, Checkpoint checkpoint);

        /// <summary>Adds or updates a finished run with its record.</summary>
        protected abstract void SaveRun(string sessionId, Guid runId, string name, string status, DateTimeOffset startedAt, string record);

        /// <summary>Deletes the session's runs (and their checkpoints) but the latest <paramref name="keep"/>.</summary>
        protected abstract void TrimRuns(string sessionId, int keep);

        /// <summary>The id and status of the session's latest run named <paramref name="name"/> (case-insensitive); null when it has none.</summary>
        protected abstract (Guid RunId, string Status)? LatestRun(string sessionId, string name);

        /// <summary>The nodes the checkpoints of run <paramref name="runId"/> record as completed; empty when there are none.</summary>
        protected abstract IReadOnlyCollection<string> CompletedNodes(Guid runId);

        /// <summary>The session's last <paramref name="last"/> runs, oldest first.</summary>
        protected abstract IReadOnlyList<StoredRun> ReadRuns(string sessionId, int last);

        /// <summary>Deletes the session with its values, tombstones, runs and checkpoints.</summary>
        protected abstract void DeleteSession(string sessionId);

        /// <summary>Forgets every tombstone, setting each session's pruned version to its version.</summary>
        protected abstract void PruneRemovals();

        /// <summary>Gives the space of deleted rows back (outside any transaction).</summary>
        protected abstract void Compact();

        /// <inheritdoc/>
        public abstract IReadOnlyList<SessionInfo> ListSessions(string? userId = null);

        /// <inheritdoc/>
        public AgnoSession OpenSession(string? sessionId, string? userId = null, object? input = null, IValueCopier? copier = null,
            int historyLimit = AgnoSession.DefaultHistoryLimit)
        {
            if (sessionId != null && string.IsNullOrWhiteSpace(sessionId))
            {
                throw new ArgumentException("A SessionId cannot be empty or white space; omit it to get a new GUID.", nameof(sessionId));
            }
            if (historyLimit < 1) throw new ArgumentOutOfRangeException(nameof(historyLimit), historyLimit, "A session keeps at least one run in its history.");
            var id = sessionId ?? Guid.NewGuid().ToString();
            copier ??= DefaultValueCopier.Instance;
            var storedInput = input == null ? null : copier.Copy(input);

            (SessionRow Row, IReadOnlyList<StoredEntry> Values, IReadOnlyList<StoredRun> Runs, object? Input)? Load(bool write)
            {
                var row = ReadSession(id);
                if (row == null)
                {
                    if (!write) return null;
                    row = InsertSession(id, userId, storedInput);
                }
                else
                {
                    CheckUser(row, userId); // before anything is read or written
                    if (write && input != null) WriteInput(row.SessionId, storedInput);
                }
                return (row, ReadValues(row.SessionId, null), ReadRuns(row.SessionId, historyLimit), input != null ? storedInput : ReadInput(row.SessionId));
            }
            // Opening an existing session as it is only reads; creating one, or giving it an input, writes.
            var loaded = (input == null ? InTransaction(false, () => Load(false)) : null) ?? InTransaction(true, () => Load(true))!.Value;

            var binding = new SessionBinding(this, loaded.Row.SessionId, loaded.Row.Instance);
            var state = new AgnoState(copier);
            state.Bind(binding, new StoredChanges(loaded.Row.Version, loaded.Values.Select(ToChange).ToList(), isWhole: true));
            var session = AgnoSession.Create(loaded.Row.SessionId, loaded.Row.UserId, loaded.Input, state, binding);
            binding.Session = session;
            session.HistoryLimit = historyLimit;
            foreach (var run in loaded.Runs) session.AddRun(RunRecordJson.Read(run.Record, run.RunId, run.Name, run.Status, run.StartedAt, run.CompletedNodes, loaded.Row.SessionId, Location));
            return session;
        }

        /// <inheritdoc/>
        public IReadOnlyList<RunRecord> ListRuns(string sessionId, string? userId = null, int last = AgnoSession.DefaultHistoryLimit)
        {
            if (string.IsNullOrWhiteSpace(sessionId)) throw new ArgumentException("A SessionId cannot be empty or white space.", nameof(sessionId));
            if (last < 1) throw new ArgumentOutOfRangeException(nameof(last), last, "Ask for at least one run.");
            var (row, runs) = InTransaction(false, () =>
            {
                var found = ReadSession(sessionId) ?? throw new StoreException("AgnoSessionNotFound",
                    $"Store '{Location}' has no session '{sessionId}'. Check the id, or list the sessions the store has.");
                CheckUser(found, userId);
                return (found, ReadRuns(found.SessionId, last));
            });
            return runs.Select(r => RunRecordJson.Read(r.Record, r.RunId, r.Name, r.Status, r.StartedAt, r.CompletedNodes, row.SessionId, Location)).ToList();
        }

        /// <inheritdoc/>
        public bool RemoveSession(string sessionId) => InTransaction(true, () =>
        {
            var row = ReadSession(sessionId);
            if (row == null) return false;
            DeleteSession(row.SessionId);
            return true;
        });

        /// <inheritdoc/>
        public void Optimize()
        {
            InTransaction(true, () =>
            {
                PruneRemovals();
                return 0;
            });
            Compact();
        }

        /// <summary>User ids are checked both ways: a session stored with one opens with that one only, a session stored without one only without.</summary>
        private void CheckUser(SessionRow row, string? userId)
        {
            if (string.Equals(row.UserId, userId, StringComparison.Ordinal)) return;
            string message = row.UserId == null
                ? $"Session '{row.SessionId}' in store '{Location}' was stored without a UserId, so it was not opened as user '{userId}'. Open it without a UserId."
                : userId == null
                    ? $"Session '{row.SessionId}' in store '{Location}' was stored with a UserId; it was not opened. Give its UserId to open it."
                    : $"Session '{row.SessionId}' in store '{Location}' belongs to user '{row.UserId}', not '{userId}'; it was not opened. Open it with its own UserId.";
            throw new StoreException("AgnoSessionUserMismatch", message);
        }

        private SessionRow RequireSession(SessionBinding binding)
        {
            var row = ReadSession(binding.SessionId);
            if (row != null && row.Instance == binding.Instance) return row;
            throw new StoreException("AgnoSessionRemoved",
                $"Session '{binding.SessionId}' is no longer in store '{Location}' (it was removed{(row == null ? "" : ", and created anew since")}); nothing was read or saved. Open the session again.");
        }

        internal StoredChanges? Pull(SessionBinding binding, long sinceVersion) => InTransaction(false, () =>
        {
            var row = RequireSession(binding);
            if (row.Version == sinceVersion) return null;
            if (sinceVersion < row.PrunedVersion) return Whole(row.SessionId, row.Version);
            return new StoredChanges(row.Version, ReadValues(row.SessionId, sinceVersion).Select(ToChange).ToList(), isWhole: false);
        });

        internal StateCommit Commit(SessionBinding binding, StateSnapshot baseState, StateDelta delta, long knownVersion, Checkpoint? checkpoint, MergePolicy policy) =>
            InTransaction(true, () =>
            {
                var row = RequireSession(binding);
                long baseVersion = Math.Min(baseState.Version, knownVersion);
                // What others changed since the delta's base (or since memory's version, if older), by key.
                var others = new Dictionary<string, StoredEntry>(StringComparer.OrdinalIgnoreCase);
                bool whole = false;
                if (row.Version != baseVersion)
                {
                    if (baseVersion >= row.PrunedVersion)
                    {
                        foreach (var entry in ReadValues(row.SessionId, baseVersion)) others[entry.Key] = entry;
                    }
                    else
                    {
                        whole = true; // the removals since the base are forgotten: compare with the base instead
                        ChangedSinceBase(row, baseState, others);
                    }
                }

                var (final, conflicts) = others.Count == 0
                    ? (delta.Changes.ToList(), (IReadOnlyList<StoreConflict>)Array.Empty<StoreConflict>())
                    : Merge(row.SessionId, baseState, delta, others, whole, policy);
                long version = row.Version + (final.Count > 0 ? 1 : 0);
                foreach (var change in final)
                {
                    if (change.IsRemoval) DeleteValue(row.SessionId, change.Key, version);
                    else WriteValue(row.SessionId, change.Key, change.Value, version);
                }
                if (version != row.Version) SetVersion(row.SessionId, version);
                if (checkpoint != null) SaveCheckpoint(row.SessionId, checkpoint);

                StoredChanges changes;
                if (whole)
                {
                    changes = Whole(row.SessionId, version);
                }
                else
                {
                    // Memory catches up: others' changes it has not seen, then this commit's.
                    var memory = new Dictionary<string, StateChange>(StringComparer.OrdinalIgnoreCase);
                    foreach (var entry in others.Values) if (entry.Version > knownVersion) memory[entry.Key] = ToChange(entry);
                    foreach (var change in final) memory[change.Key] = change;
                    changes = new StoredChanges(version, memory.Values.ToList(), isWhole: false);
                }
                return new StateCommit(changes, conflicts);
            });

        /// <summary>
        /// Merges the delta's keys that others changed since its base, as parallel branches merge: each
        /// other commit is an earlier branch (in version order), this commit the last. Returns what to
        /// write (only the delta's keys, and only where the result differs from what is stored) and the conflicts.
        /// </summary>
        private static (List<StateChange> Final, IReadOnlyList<StoreConflict> Conflicts) Merge(string sessionId, StateSnapshot baseState, StateDelta delta,
            Dictionary<string, StoredEntry> others, bool whole, MergePolicy policy)
        {
            var copier = baseState.Copier;
            var conflicts = new List<StoreConflict>();
            var earlier = new SortedDictionary<long, Dictionary<string, StateChange>>();
            var theirs = new Dictionary<string, StateChange>(StringComparer.OrdinalIgnoreCase);
            foreach (var mine in delta.Changes)
            {
                if (!others.TryGetValue(mine.Key, out var other) || (!whole && other.Version <= baseState.Version)) continue;
                var their = ToChange(other);
                theirs[mine.Key] = their;
                if (!earlier.TryGetValue(other.Version, out var branch)) earlier[other.Version] = branch = new Dictionary<string, StateChange>(StringComparer.OrdinalIgnoreCase);
                branch[mine.Key] = their;

                bool inBase = baseState.TryGetStored(mine.Key, out var baseValue);
                if (!ChangedFrom(mine, inBase, baseValue, copier) || !ChangedFrom(their, inBase, baseValue, copier)) continue;
                var reducer = policy.ReducerFor(mine.Key);
                if (reducer != null || !SameResult(mine, their, copier))
                {
                    conflicts.Add(new StoreConflict(sessionId, mine.Key, other.Version, policy.Strategy, reducer?.Name));
                }
            }
            if (policy.Strategy == MergeStrategy.Fail && conflicts.Any(c => c.Reducer == null)) throw new StoreConflictException(sessionId, conflicts);
            if (theirs.Count == 0) return (delta.Changes.ToList(), conflicts);

            var branches = earlier.Select(v => new BranchDelta($"version {v.Key}", new StateDelta(v.Value))).ToList();
            branches.Add(new BranchDelta("this commit", delta));
            var merged = StateMerger.Merge($"commit to session '{sessionId}'", baseState, branches, policy).Delta;
            var final = new List<StateChange>();
            foreach (var mine in delta.Changes)
            {
                // A key nobody changed from base, or left as the other commit stored it, needs no write.
                if (!merged.TryGetChange(mine.Key, out var result)) continue;
                if (theirs.TryGetValue(mine.Key, out var their) && SameResult(result, their, copier)) continue;
                final.Add(result);
            }
            return (final, conflicts);
        }

        /// <summary>Every key whose stored value differs from <paramref name="baseState"/>'s, as a change at the version that wrote it.</summary>
        private void ChangedSinceBase(SessionRow row, StateSnapshot baseState, Dictionary<string, StoredEntry> changed)
        {
            var stored = ReadValues(row.SessionId, null);
            var present = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var entry in stored)
            {
                present.Add(entry.Key);
                if (!baseState.TryGetStored(entry.Key, out var baseValue) || !baseState.Copier.AreEqual(baseValue, entry.Value)) changed[entry.Key] = entry;
            }
            foreach (var key in baseState.Keys)
            {
                if (!present.Contains(key)) changed[key] = new StoredEntry(key, true, null, row.Version);
            }
        }

        private static bool ChangedFrom(StateChange change, bool inBase, object? baseValue, IValueCopier copier) =>
            change.IsRemoval ? inBase : !inBase || !copier.AreEqual(baseValue, change.Value);

        private static bool SameResult(StateChange a, StateChange b, IValueCopier copier) =>
            a.IsRemoval == b.IsRemoval && (a.IsRemoval || copier.AreEqual(a.Value, b.Value));

        private StoredChanges Whole(string sessionId, long version) =>
            new StoredChanges(version, ReadValues(sessionId, null).Select(ToChange).ToList(), isWhole: true);

        private static StateChange ToChange(StoredEntry entry) => entry.IsRemoval ? StateChange.Remove(entry.Key) : StateChange.Set(entry.Key, entry.Value);

        internal void RecordRun(SessionBinding binding, RunRecord run) => InTransaction(true, () =>
        {
            var row = RequireSession(binding);
            SaveRun(row.SessionId, run.RunId, run.Name, run.Status.ToString(), run.StartedAt ?? DateTimeOffset.Now, RunRecordJson.Write(run));
            TrimRuns(row.SessionId, binding.Session?.HistoryLimit ?? AgnoSession.DefaultHistoryLimit);
            return 0;
        });

        internal ResumePoint? FindUnfinishedRun(SessionBinding binding, string name) => InTransaction(false, () =>
        {
            var row = RequireSession(binding);
            var latest = LatestRun(row.SessionId, name);
            if (latest == null || latest.Value.Status == nameof(NodeStatus.Completed) || latest.Value.Status == nameof(NodeStatus.CompletedWithErrors)
                || latest.Value.Status == nameof(NodeStatus.Stopped)) return null;
            return new ResumePoint(latest.Value.RunId, CompletedNodes(latest.Value.RunId));
        });

        /// <summary>Closes the store: sessions opened from it can no longer read or commit. Does nothing here; a store that holds a file or connection open overrides it.</summary>
        public virtual void Dispose() { }
    }
}
