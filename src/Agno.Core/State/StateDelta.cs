using System;
using System.Collections.Generic;
using System.Linq;

namespace Agno.Core
{
    /// <summary>What a fork changed since it was forked: the keys it set and the keys it removed.</summary>
    public sealed class StateDelta
    {
        /// <summary>A delta with no changes.</summary>
        public static StateDelta Empty { get; } = new StateDelta(new Dictionary<string, StateChange>(StringComparer.OrdinalIgnoreCase));

        private readonly Dictionary<string, StateChange> _changes;

        internal StateDelta(Dictionary<string, StateChange> changes, StateSnapshot? baseState = null)
        {
            _changes = changes;
            Base = baseState;
        }

        /// <summary>
        /// The state the changes were made against (a fork's base; a merge's pre-fork state), if known.
        /// A store merges the delta with what others committed since this base.
        /// </summary>
        internal StateSnapshot? Base { get; }

        /// <summary>The same changes, made against <paramref name="baseState"/>.</summary>
        internal StateDelta WithBase(StateSnapshot baseState) => new StateDelta(_changes, baseState);

        /// <summary>
        /// A delta of <paramref name="changes"/> made elsewhere (decoded from a remote step's or a
        /// store's record), one per key: two changes of one key (compared as keys are) are refused.
        /// </summary>
        public static StateDelta FromChanges(IEnumerable<StateChange> changes)
        {
            if (changes == null) throw new ArgumentNullException(nameof(changes));
            var byKey = new Dictionary<string, StateChange>(StringComparer.OrdinalIgnoreCase);
            foreach (var change in changes)
            {
                if (change == null) throw new ArgumentException("A delta cannot hold a null change.", nameof(changes));
                if (byKey.ContainsKey(change.Key)) throw new ArgumentException($"A delta holds one change per key, and key '{change.Key}' has two.", nameof(changes));
                byKey.Add(change.Key, change);
            }
            return new StateDelta(byKey);
        }

        /// <summary>Every change, one per key.</summary>
        public IReadOnlyCollection<StateChange> Changes => _changes.Values;

        /// <summary>How many keys changed.</summary>
        public int Count => _changes.Count;

        /// <summary>True when nothing changed.</summary>
        public bool IsEmpty => _changes.Count == 0;

        /// <summary>The keys set (added or given a new value).</summary>
        public IEnumerable<string> SetKeys => _changes.Values.Where(c => !c.IsRemoval).Select(c => c.Key);

        /// <summary>The keys removed.</summary>
        public IEnumerable<string> RemovedKeys => _changes.Values.Where(c => c.IsRemoval).Select(c => c.Key);

        /// <summary>The change to <paramref name="key"/> (case-insensitive); false when the delta does not change it.</summary>
        public bool TryGetChange(string key, out StateChange change) => _changes.TryGetValue(key, out change!);
    }
}
