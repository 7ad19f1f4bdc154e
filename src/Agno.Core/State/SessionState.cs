using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;

namespace Agno.Core
{
    /// <summary>
    /// A thread-safe key/value state shared by the steps of a workflow. Keys are case-insensitive
    /// (the casing first written is kept); values are copied in on Set and out on read, so callers
    /// never share an object with the state. Reads are lock-free: the state is an immutable map
    /// swapped atomically by writers, which also makes <see cref="Fork"/> O(1).
    /// </summary>
    public sealed class SessionState
    {
        private static readonly ImmutableDictionary<string, StateEntry> EmptyMap =
            ImmutableDictionary.Create<string, StateEntry>(StringComparer.OrdinalIgnoreCase);

        private readonly object _writeLock = new object();
        private volatile ImmutableDictionary<string, StateEntry> _map;
        private readonly Dictionary<string, StateChange>? _changes;
        private IStateCommitter? _committer;

        public SessionState(IValueCopier? copier = null)
        {
            Copier = copier ?? DefaultValueCopier.Instance;
            _map = EmptyMap;
        }

        /// <summary>A state holding copies of <paramref name="initial"/>'s entries (all or none are stored).</summary>
        public SessionState(IDictionary initial, IValueCopier? copier = null) : this(copier)
        {
            if (initial == null) throw new ArgumentNullException(nameof(initial));
            var builder = EmptyMap.ToBuilder();
            foreach (DictionaryEntry entry in initial)
            {
                var key = CheckKey(entry.Key as string ?? throw new ArgumentException(
                    $"The initial state has a key of type [{entry.Key.GetType().Name}] ('{entry.Key}'); keys must be strings.", nameof(initial)));
                builder[key] = new StateEntry(builder.TryGetValue(key, out var old) ? old.Key : key, CopyIn(key, entry.Value));
            }
            _map = builder.ToImmutable();
        }

        private SessionState(StateSnapshot origin)
        {
            Copier = origin.Copier;
            _map = origin.Map;
            Base = origin;
            _changes = new Dictionary<string, StateChange>(StringComparer.OrdinalIgnoreCase);
        }

        public IValueCopier Copier { get; }

        /// <summary>For a fork, the state it was forked from, as it was at that moment; null otherwise.</summary>
        public StateSnapshot? Base { get; }

        public bool IsFork => _changes != null;
        public int Count => _map.Count;

        /// <summary>The keys, as first written, in ordinal order.</summary>
        public IReadOnlyList<string> Keys => _map.Values.Select(e => e.Key).OrderBy(k => k, StringComparer.OrdinalIgnoreCase).ToList();

        public bool ContainsKey(string key) => _map.ContainsKey(CheckKey(key));

        /// <summary>Stores a copy of <paramref name="value"/>; throws <see cref="ValueRefusedException"/> and stores nothing when it cannot be copied.</summary>
        public void Set(string key, object? value)
        {
            CheckKey(key);
            var copy = CopyIn(key, value);
            lock (_writeLock)
            {
                ApplyLocked(Single(StateChange.Set(key, copy)), null);
            }
        }

        public bool TryGet(string key, out object? value)
        {
            if (_map.TryGetValue(CheckKey(key), out var entry))
            {
                value = Copier.Copy(entry.Value);
                return true;
            }
            value = null;
            return false;
        }

        /// <summary>A copy of the key's value; throws <see cref="StateKeyNotFoundException"/> when it is missing.</summary>
        public object? Get(string key) => TryGet(key, out var value) ? value : throw new StateKeyNotFoundException(key);

        /// <summary>Removes the key; false when there was none.</summary>
        public bool Remove(string key)
        {
            CheckKey(key);
            lock (_writeLock)
            {
                if (!_map.ContainsKey(key)) return false;
                ApplyLocked(Single(StateChange.Remove(key)), null);
                return true;
            }
        }

        /// <summary>An independent copy of every entry, keyed case-insensitively, in ordinal key order.</summary>
        public IDictionary<string, object?> GetAll()
        {
            var map = _map;
            var all = new Dictionary<string, object?>(map.Count, StringComparer.OrdinalIgnoreCase);
            foreach (var entry in map.Values.OrderBy(e => e.Key, StringComparer.OrdinalIgnoreCase))
            {
                all[entry.Key] = Copier.Copy(entry.Value);
            }
            return all;
        }

        /// <summary>Every entry as a change that sets it: what it takes to make another state hold this one's entries.</summary>
        public StateDelta ToDelta()
        {
            var changes = new Dictionary<string, StateChange>(StringComparer.OrdinalIgnoreCase);
            foreach (var entry in _map.Values) changes[entry.Key] = StateChange.Set(entry.Key, entry.Value);
            return new StateDelta(changes);
        }

        /// <summary>The state as it is now, frozen; O(1).</summary>
        public StateSnapshot Snapshot() => new StateSnapshot(_map, Copier);

        /// <summary>An independent state that starts as this one is now and tracks its own changes; O(1).</summary>
        public SessionState Fork() => new SessionState(Snapshot());

        /// <summary>A fork of the state as <paramref name="snapshot"/> froze it: siblings forked from one snapshot share one base.</summary>
        public static SessionState ForkOf(StateSnapshot snapshot) => new SessionState(snapshot ?? throw new ArgumentNullException(nameof(snapshot)));

        /// <summary>What this fork changed since it was forked (empty for a state that is not a fork).</summary>
        public StateDelta GetDelta()
        {
            if (_changes == null) return StateDelta.Empty;
            lock (_writeLock)
            {
                return new StateDelta(new Dictionary<string, StateChange>(_changes, StringComparer.OrdinalIgnoreCase));
            }
        }

        /// <summary>
        /// Applies every change of <paramref name="delta"/> at once onto the state as it is now; keys
        /// the delta does not name keep their current values. Readers see all of it or none of it.
        /// A state bound to a store commits the delta there first (with <paramref name="checkpoint"/>,
        /// recording a completed node in the same transaction).
        /// </summary>
        public void Apply(StateDelta delta, Checkpoint? checkpoint = null)
        {
            if (delta == null) throw new ArgumentNullException(nameof(delta));
            if (delta.IsEmpty && (checkpoint == null || _committer == null)) return;
            lock (_writeLock)
            {
                ApplyLocked(delta, checkpoint);
            }
        }

        /// <summary>Makes this state durable: from now on every change is committed through <paramref name="committer"/> first.</summary>
        public void Bind(IStateCommitter committer)
        {
            if (IsFork) throw new InvalidOperationException("A fork cannot be bound to a store; its changes reach the store when they are merged.");
            lock (_writeLock) _committer = committer ?? throw new ArgumentNullException(nameof(committer));
        }

        /// <summary>The store binding, if any.</summary>
        public IStateCommitter? Committer => _committer;

        private void ApplyLocked(StateDelta delta, Checkpoint? checkpoint)
        {
            if (_committer != null)
            {
                var commit = _committer.Commit(Snapshot(), delta, checkpoint);
                if (commit.Reloaded != null)
                {
                    var builder = EmptyMap.ToBuilder();
                    foreach (var entry in commit.Reloaded) builder[entry.Key] = new StateEntry(entry.Key, entry.Value);
                    _map = builder.ToImmutable();
                    return;
                }
                delta = commit.Applied;
            }
            var map = _map.ToBuilder();
            foreach (var change in delta.Changes)
            {
                string key = change.Key;
                if (change.IsRemoval)
                {
                    if (!map.TryGetValue(key, out var old)) continue;
                    map.Remove(key);
                    _changes?.Remove(key);
                    _changes?.Add(key, StateChange.Remove(old.Key));
                }
                else
                {
                    var entry = new StateEntry(map.TryGetValue(key, out var old) ? old.Key : key, change.Value);
                    map[key] = entry;
                    _changes?.Remove(key);
                    _changes?.Add(key, StateChange.Set(entry.Key, change.Value));
                }
            }
            _map = map.ToImmutable();
        }

        private static StateDelta Single(StateChange change) =>
            new StateDelta(new Dictionary<string, StateChange>(StringComparer.OrdinalIgnoreCase) { [change.Key] = change });

        internal bool TryGetStored(string key, out object? value)
        {
            var found = _map.TryGetValue(key, out var entry);
            value = entry?.Value;
            return found;
        }

        private object? CopyIn(string key, object? value)
        {
            try
            {
                return Copier.Copy(value);
            }
            catch (ValueRefusedException refused)
            {
                throw refused.WithKey(key);
            }
        }

        internal static string CheckKey(string key)
        {
            if (key == null) throw new ArgumentNullException(nameof(key), "A state key cannot be null.");
            if (string.IsNullOrWhiteSpace(key)) throw new ArgumentException("A state key cannot be empty or white space.", nameof(key));
            return key;
        }
    }
}
