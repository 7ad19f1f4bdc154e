using System;
using System.Collections.Generic;
using System.Linq;

namespace Agno.Core
{
    /// <summary>What a fork changed since it was forked: the keys it set and the keys it removed.</summary>
    public sealed class StateDelta
    {
        public static StateDelta Empty { get; } = new StateDelta(new Dictionary<string, StateChange>(StringComparer.OrdinalIgnoreCase));

        private readonly Dictionary<string, StateChange> _changes;

        internal StateDelta(Dictionary<string, StateChange> changes) { _changes = changes; }

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

        public IReadOnlyCollection<StateChange> Changes => _changes.Values;
        public int Count => _changes.Count;
        public bool IsEmpty => _changes.Count == 0;
        public IEnumerable<string> SetKeys => _changes.Values.Where(c => !c.IsRemoval).Select(c => c.Key);
        public IEnumerable<string> RemovedKeys => _changes.Values.Where(c => c.IsRemoval).Select(c => c.Key);
        public bool TryGetChange(string key, out StateChange change) => _changes.TryGetValue(key, out change!);
    }
}
