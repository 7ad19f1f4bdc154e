using System;
using System.Collections;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;

namespace Agno.Core
{
    /// <summary>
    /// A thread-safe key/value state shared by the steps of a workflow. Keys are case-insensitive
    /// (the casing first written is kept); values are copied in on Set and out on read, so callers
    /// never share an object with the state.
    /// </summary>
    /// <remarks>
    /// The state is a frozen, persistent map (shared with forks and snapshots) plus a small
    /// concurrent overlay of the writes made since it was last frozen. Reads are lock-free: the
    /// overlay, then the frozen map. A single Set or Remove touches only the overlay; taking a
    /// snapshot (and so forking) folds the overlay into a new frozen map, in time proportional to
    /// the writes since the last one, never to the size of the state. A multi-key Apply swaps in a
    /// new frozen map at once, so readers see all of it or none of it.
    ///
    /// A state bound to a store (<see cref="Bind"/>) shows one stored version: before it is read or
    /// snapshotted it pulls what was committed since (a cheap version check when nothing was), and
    /// every change is committed there first, against the version the change was made from.
    /// </remarks>
    public sealed class AgnoState
    {
        private static readonly ImmutableDictionary<string, StateEntry> EmptyMap =
            ImmutableDictionary.Create<string, StateEntry>(StringComparer.OrdinalIgnoreCase);

        /// <summary>One consistent view: a frozen map and the writes since (a null entry is a removal).</summary>
        private sealed class Layers
        {
            public Layers(ImmutableDictionary<string, StateEntry> frozen)
            {
                Frozen = frozen;
            }

            public readonly ImmutableDictionary<string, StateEntry> Frozen;
            public readonly ConcurrentDictionary<string, StateEntry?> Overlay = new ConcurrentDictionary<string, StateEntry?>(StringComparer.OrdinalIgnoreCase);

            /// <summary>Writes in the overlay (set under the write lock): none means reads go straight to the frozen map.</summary>
            public volatile int Written;

            public void Write(string key, StateEntry? entry)
            {
                Overlay[key] = entry;
                Written++;
            }

            public bool TryGet(string key, out StateEntry entry)
            {
                if (Written != 0 && Overlay.TryGetValue(key, out var written))
                {
                    entry = written!;
                    return written != null;
                }
                return Frozen.TryGetValue(key, out entry!);
            }
        }

        private readonly object _writeLock = new object();
        private volatile Layers _layers;
        private int _count;
        private readonly Dictionary<string, StateChange>? _changes;
        private volatile IStateCommitter? _committer;
        private long _version;

        /// <summary>An empty state that copies values with <paramref name="copier"/> (<see cref="DefaultValueCopier.Instance"/> when null).</summary>
        public AgnoState(IValueCopier? copier = null)
        {
            Copier = copier ?? DefaultValueCopier.Instance;
            _layers = new Layers(EmptyMap);
        }

        /// <summary>A state holding copies of <paramref name="initial"/>'s entries (all or none are stored).</summary>
        public AgnoState(IDictionary initial, IValueCopier? copier = null) : this(copier)
        {
            if (initial == null) throw new ArgumentNullException(nameof(initial));
            var builder = EmptyMap.ToBuilder();
            foreach (DictionaryEntry entry in initial)
            {
                var key = CheckKey(entry.Key as string ?? throw new ArgumentException(
                    $"The initial state has a key of type [{entry.Key.GetType().Name}] ('{entry.Key}'); keys must be strings.", nameof(initial)));
                builder[key] = NewEntry(builder.TryGetValue(key, out var old) ? old.Key : key, CopyIn(key, entry.Value));
            }
            _layers = new Layers(builder.ToImmutable());
            _count = builder.Count;
        }

        private AgnoState(StateSnapshot origin)
        {
            Copier = origin.Copier;
            _layers = new Layers(origin.Map);
            _count = origin.Map.Count;
            Base = origin;
            _changes = new Dictionary<string, StateChange>(StringComparer.OrdinalIgnoreCase);
        }

        /// <summary>What copies values in and out of the state, and tells a change from setting the value a key has.</summary>
        public IValueCopier Copier { get; }

        /// <summary>For a fork, the state it was forked from, as it was at that moment; null otherwise.</summary>
        public StateSnapshot? Base { get; }

        /// <summary>True for a fork (<see cref="Fork"/>, <see cref="ForkOf"/>): a state that tracks its changes (<see cref="GetDelta"/>).</summary>
        public bool IsFork => _changes != null;

        /// <summary>How many keys the state holds; a bound state first catches up with its store.</summary>
        public int Count
        {
            get
            {
                if (_committer != null) Refresh();
                return System.Threading.Volatile.Read(ref _count);
            }
        }

        /// <summary>The count as memory has it, without asking a store (for display: never moves what the state shows).</summary>
        internal int CountInMemory => System.Threading.Volatile.Read(ref _count);

        /// <summary>For a state bound to a store, the stored version it shows; 0 otherwise.</summary>
        public long Version => System.Threading.Interlocked.Read(ref _version);

        /// <summary>The keys, as first written, in ordinal order.</summary>
        public IReadOnlyList<string> Keys => Snapshot().Map.Values.Select(e => e.Key).OrderBy(k => k, StringComparer.OrdinalIgnoreCase).ToList();

        /// <summary>True when the state holds <paramref name="key"/> (case-insensitive); a bound state first catches up with its store.</summary>
        /// <exception cref="ArgumentNullException"><paramref name="key"/> is null.</exception>
        /// <exception cref="ArgumentException"><paramref name="key"/> is empty or white space.</exception>
        public bool ContainsKey(string key)
        {
            if (key == null) throw NullKey();
            if (_committer != null) Refresh();
            return _layers.TryGet(key, out _) || InvalidKey(key);
        }

        /// <summary>Stores a copy of <paramref name="value"/>; throws <see cref="ValueRefusedException"/> and stores nothing when it cannot be copied.</summary>
        public void Set(string key, object? value)
        {
            CheckKey(key);
            bool shared = Copier.IsImmutable(value);
            var copy = shared ? value : CopyIn(key, value);
            lock (_writeLock)
            {
                if (_committer != null)
                {
                    ApplyLocked(Single(StateChange.Set(key, copy)), null);
                    return;
                }
                var layers = _layers;
                bool existed = layers.TryGet(key, out var old);
                if (existed && Copier.AreEqual(old.Value, copy)) return; // the value it has: not a change
                var entry = new StateEntry(existed ? old.Key : key, copy, shared);
                layers.Write(key, entry);
                if (!existed) _count++;
                Track(StateChange.Set(entry.Key, copy));
            }
        }

        /// <summary>Reads a copy of <paramref name="key"/>'s value (case-insensitive); false, with null, when the state has no such key. A bound state first catches up with its store.</summary>
        /// <exception cref="ArgumentNullException"><paramref name="key"/> is null.</exception>
        /// <exception cref="ArgumentException"><paramref name="key"/> is empty or white space.</exception>
        public bool TryGet(string key, out object? value)
        {
            if (key == null) throw NullKey();
            if (_committer != null) Refresh(); // only a bound state has a store to look at; reads in memory stay as fast as they were
            if (_layers.TryGet(key, out var entry))
            {
                value = entry.Shared ? entry.Value : Copier.Copy(entry.Value);
                return true;
            }
            InvalidKey(key);
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
                RefreshLocked(); // a key another process set is removed too
                var layers = _layers;
                if (!layers.TryGet(key, out var old)) return false;
                if (_committer != null)
                {
                    ApplyLocked(Single(StateChange.Remove(key)), null);
                    return true;
                }
                layers.Write(key, null);
                _count--;
                Track(StateChange.Remove(old.Key));
                return true;
            }
        }

        /// <summary>An independent copy of every entry, keyed case-insensitively, in ordinal key order.</summary>
        public IDictionary<string, object?> GetAll()
        {
            var map = Snapshot().Map;
            var all = new Dictionary<string, object?>(map.Count, StringComparer.OrdinalIgnoreCase);
            foreach (var entry in map.Values.OrderBy(e => e.Key, StringComparer.OrdinalIgnoreCase))
            {
                all[entry.Key] = entry.Shared ? entry.Value : Copier.Copy(entry.Value);
            }
            return all;
        }

        /// <summary>Every entry as a change that sets it: what it takes to make another state hold this one's entries.</summary>
        public StateDelta ToDelta()
        {
            var changes = new Dictionary<string, StateChange>(StringComparer.OrdinalIgnoreCase);
            foreach (var entry in Snapshot().Map.Values) changes[entry.Key] = StateChange.Set(entry.Key, entry.Value);
            return new StateDelta(changes);
        }

        /// <summary>The state as it is now, frozen; costs time in the writes since the last snapshot, never in the state's size.</summary>
        public StateSnapshot Snapshot()
        {
            if (_committer != null)
            {
                lock (_writeLock)
                {
                    RefreshLocked();
                    return new StateSnapshot(FreezeLocked(), Copier, _version);
                }
            }
            var layers = _layers;
            if (layers.Written == 0) return new StateSnapshot(layers.Frozen, Copier);
            lock (_writeLock)
            {
                return new StateSnapshot(FreezeLocked(), Copier);
            }
        }

        /// <summary>An independent state that starts as this one is now and tracks its own changes.</summary>
        public AgnoState Fork() => new AgnoState(Snapshot());

        /// <summary>A fork of the state as <paramref name="snapshot"/> froze it: siblings forked from one snapshot share one base.</summary>
        public static AgnoState ForkOf(StateSnapshot snapshot) => new AgnoState(snapshot ?? throw new ArgumentNullException(nameof(snapshot)));

        /// <summary>What this fork changed since it was forked (empty for a state that is not a fork); its base is the fork's <see cref="Base"/>.</summary>
        public StateDelta GetDelta()
        {
            if (_changes == null) return StateDelta.Empty;
            lock (_writeLock)
            {
                return new StateDelta(new Dictionary<string, StateChange>(_changes, StringComparer.OrdinalIgnoreCase), Base);
            }
        }

        /// <summary>
        /// Makes several changes at once, all or none: <paramref name="edit"/> changes a fork of the state
        /// as this process last saw it, then the fork's changes are applied together. A bound state is
        /// not refreshed first: a value read, changed and set again is merged with what others committed
        /// meanwhile (by the session's rules), not written over it. Returns the commit (null when not bound).
        /// </summary>
        public StateCommit? Change(Action<AgnoState> edit)
        {
            if (edit == null) throw new ArgumentNullException(nameof(edit));
            StateSnapshot seen;
            lock (_writeLock)
            {
                seen = new StateSnapshot(FreezeLocked(), Copier, _version);
            }
            var fork = new AgnoState(seen);
            edit(fork);
            return Apply(fork.GetDelta());
        }

        /// <summary>
        /// Applies every change of <paramref name="delta"/> at once onto the state as it is now; keys
        /// the delta does not name keep their current values. Readers see all of it or none of it.
        /// A state bound to a store commits the delta there first (with <paramref name="checkpoint"/>,
        /// recording a completed node in the same transaction), merged with what others committed since
        /// the delta's base (a fork's delta: the fork's base; otherwise the state as this process saw it),
        /// and returns that commit; null when the state is not bound.
        /// </summary>
        public StateCommit? Apply(StateDelta delta, Checkpoint? checkpoint = null)
        {
            if (delta == null) throw new ArgumentNullException(nameof(delta));
            if (delta.IsEmpty && (checkpoint == null || _committer == null)) return null;
            lock (_writeLock)
            {
                return ApplyLocked(delta, checkpoint);
            }
        }

        /// <summary>
        /// Makes this state durable and shared: from now on every change is committed through
        /// <paramref name="committer"/> first, and reads show what it has committed. <paramref name="stored"/>
        /// is what the store holds now (the whole state, or changes to the entries this state holds) and its version.
        /// </summary>
        public void Bind(IStateCommitter committer, StoredChanges stored)
        {
            if (committer == null) throw new ArgumentNullException(nameof(committer));
            if (stored == null) throw new ArgumentNullException(nameof(stored));
            if (IsFork) throw new InvalidOperationException("A fork cannot be bound to a store; its changes reach the store when they are merged.");
            lock (_writeLock)
            {
                ApplyStoredLocked(stored);
                _committer = committer;
            }
        }

        /// <summary>The store binding, if any.</summary>
        public IStateCommitter? Committer => _committer;

        /// <summary>Folds the overlay into a new frozen map and makes it current (under the write lock).</summary>
        private ImmutableDictionary<string, StateEntry> FreezeLocked()
        {
            var layers = _layers;
            if (layers.Written == 0) return layers.Frozen;
            var builder = layers.Frozen.ToBuilder();
            foreach (var written in layers.Overlay)
            {
                if (written.Value == null) builder.Remove(written.Key);
                else builder[written.Key] = written.Value;
            }
            var frozen = builder.ToImmutable();
            _layers = new Layers(frozen);
            return frozen;
        }

        private StateCommit? ApplyLocked(StateDelta delta, Checkpoint? checkpoint)
        {
            var committer = _committer;
            if (committer != null)
            {
                var seen = new StateSnapshot(FreezeLocked(), Copier, _version);
                var from = delta.Base ?? seen;
                // Judged against the delta's own base: a value others changed meanwhile is theirs to keep.
                delta = WithoutNoOps(from.Map, delta);
                if (delta.IsEmpty && checkpoint == null) return null;
                var commit = committer.Commit(from, delta, seen.Version, checkpoint);
                ApplyStoredLocked(commit.Changes);
                return commit;
            }
            delta = WithoutNoOps(FreezeLocked(), delta);
            if (delta.IsEmpty) return null;
            var map = FreezeLocked().ToBuilder();
            foreach (var change in delta.Changes)
            {
                string key = change.Key;
                if (change.IsRemoval)
                {
                    if (!map.TryGetValue(key, out var old)) continue;
                    map.Remove(key);
                    Track(StateChange.Remove(old.Key));
                }
                else
                {
                    var entry = NewEntry(map.TryGetValue(key, out var old) ? old.Key : key, change.Value);
                    map[key] = entry;
                    Track(StateChange.Set(entry.Key, change.Value));
                }
            }
            _layers = new Layers(map.ToImmutable());
            _count = map.Count;
            return null;
        }

        /// <summary>For a bound state, catches up with what was committed since the version it shows.</summary>
        private void Refresh()
        {
            lock (_writeLock) RefreshLocked();
        }

        private void RefreshLocked()
        {
            var pulled = _committer?.Pull(_version);
            if (pulled != null) ApplyStoredLocked(pulled);
        }

        /// <summary>Makes memory show a stored version (under the write lock); stored values come fresh from the store, owned by the state.</summary>
        private void ApplyStoredLocked(StoredChanges stored)
        {
            var map = stored.IsWhole ? EmptyMap.ToBuilder() : FreezeLocked().ToBuilder();
            foreach (var change in stored.Changes)
            {
                if (change.IsRemoval) map.Remove(change.Key);
                else map[change.Key] = NewEntry(change.Key, change.Value);
            }
            _layers = new Layers(map.ToImmutable());
            _count = map.Count;
            System.Threading.Interlocked.Exchange(ref _version, stored.Version);
        }

        /// <summary>The changes of <paramref name="delta"/> that change <paramref name="map"/>: setting the value a key has, or removing a missing key, is none.</summary>
        private StateDelta WithoutNoOps(ImmutableDictionary<string, StateEntry> map, StateDelta delta)
        {
            var kept = delta.Changes.Where(c => Changes(map, c)).ToList();
            return kept.Count == delta.Count ? delta : new StateDelta(kept.ToDictionary(c => c.Key, StringComparer.OrdinalIgnoreCase), delta.Base);
        }

        private bool Changes(ImmutableDictionary<string, StateEntry> map, StateChange change) =>
            map.TryGetValue(change.Key, out var old) ? change.IsRemoval || !Copier.AreEqual(old.Value, change.Value) : !change.IsRemoval;

        /// <summary>
        /// Records a change in a fork's delta (under the write lock). A key brought back to its value at the
        /// fork (or created and removed again) leaves the delta: the fork did not change it.
        /// </summary>
        private void Track(StateChange change)
        {
            if (_changes == null) return;
            _changes.Remove(change.Key);
            bool asAtFork = Base!.Map.TryGetValue(change.Key, out var atFork)
                ? !change.IsRemoval && Copier.AreEqual(atFork.Value, change.Value)
                : change.IsRemoval;
            if (!asAtFork) _changes.Add(change.Key, change);
        }

        private StateEntry NewEntry(string key, object? value) => new StateEntry(key, value, Copier.IsImmutable(value));

        private static StateDelta Single(StateChange change) =>
            new StateDelta(new Dictionary<string, StateChange>(StringComparer.OrdinalIgnoreCase) { [change.Key] = change });

        internal bool TryGetStored(string key, out object? value)
        {
            var found = _layers.TryGet(key, out var entry);
            value = found ? entry.Value : null;
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

        /// <summary>The key count and the first keys, for display.</summary>
        public override string ToString()
        {
            var keys = Keys;
            var shown = string.Join(", ", keys.Take(5));
            return keys.Count switch
            {
                0 => "0 keys",
                1 => "1 key: " + shown,
                _ => $"{keys.Count} keys: {shown}" + (keys.Count > 5 ? ", ..." : ""),
            };
        }

        /// <summary>Throws for a key that is empty or white space (after a miss: a hit proves the key valid); false otherwise.</summary>
        private static bool InvalidKey(string key)
        {
            CheckKey(key);
            return false;
        }

        private static ArgumentNullException NullKey() => new ArgumentNullException("key", "A state key cannot be null.");

        internal static string CheckKey(string key)
        {
            if (key == null) throw NullKey();
            if (string.IsNullOrWhiteSpace(key)) throw new ArgumentException("A state key cannot be empty or white space.", nameof(key));
            return key;
        }
    }
}
