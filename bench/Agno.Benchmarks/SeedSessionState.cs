using System;
using System.Collections.Generic;
using System.Text.Json;
using System.Threading;

namespace Agno.Benchmarks
{
    /// <summary>
    /// The seed's design (shared/seed/session-state.ko.md), in C#: a map behind a reader-writer lock
    /// (Go's sync.RWMutex), cloned for each parallel branch by a JSON round-trip of the whole state,
    /// and merged by copying the original and then every branch's whole state over it.
    /// </summary>
    public sealed class SeedSessionState
    {
        private readonly ReaderWriterLockSlim _lock = new ReaderWriterLockSlim(LockRecursionPolicy.NoRecursion);
        private readonly Dictionary<string, object?> _data;

        public SeedSessionState(Dictionary<string, object?> data) { _data = data; }

        public int Count => _data.Count;

        public void Set(string key, object? value)
        {
            _lock.EnterWriteLock();
            try { _data[key] = value; }
            finally { _lock.ExitWriteLock(); }
        }

        public bool TryGet(string key, out object? value)
        {
            _lock.EnterReadLock();
            try { return _data.TryGetValue(key, out value); }
            finally { _lock.ExitReadLock(); }
        }

        /// <summary>The seed's Clone: json.Marshal the whole map under the read lock, json.Unmarshal it into a new one.</summary>
        public SeedSessionState Clone()
        {
            byte[] json;
            _lock.EnterReadLock();
            try { json = JsonSerializer.SerializeToUtf8Bytes(_data); }
            finally { _lock.ExitReadLock(); }
            return new SeedSessionState(JsonSerializer.Deserialize<Dictionary<string, object?>>(json)!);
        }

        /// <summary>The seed's MergeParallelSessionStates: the original's entries, then each branch's, last write wins.</summary>
        public static SeedSessionState Merge(SeedSessionState original, IReadOnlyList<SeedSessionState> modified)
        {
            var merged = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
            foreach (var entry in original._data) merged[entry.Key] = entry.Value;
            foreach (var branch in modified)
            {
                foreach (var entry in branch._data) merged[entry.Key] = entry.Value;
            }
            return new SeedSessionState(merged);
        }
    }
}
