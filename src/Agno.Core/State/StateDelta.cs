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

        public IReadOnlyCollection<StateChange> Changes => _changes.Values;
        public int Count => _changes.Count;
        public bool IsEmpty => _changes.Count == 0;
        public IEnumerable<string> SetKeys => _changes.Values.Where(c => !c.IsRemoval).Select(c => c.Key);
        public IEnumerable<string> RemovedKeys => _changes.Values.Where(c => c.IsRemoval).Select(c => c.Key);
        public bool TryGetChange(string key, out StateChange change) => _changes.TryGetValue(key, out change!);
    }
}
