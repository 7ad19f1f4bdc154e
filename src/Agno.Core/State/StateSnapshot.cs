using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;

namespace Agno.Core
{
    /// <summary>A frozen view of a state at one moment; taking one costs O(1) whatever the state's size.</summary>
    public sealed class StateSnapshot
    {
        internal StateSnapshot(ImmutableDictionary<string, StateEntry> map, IValueCopier copier, long version = 0)
        {
            Map = map;
            Copier = copier;
            Version = version;
        }

        internal ImmutableDictionary<string, StateEntry> Map { get; }
        internal IValueCopier Copier { get; }

        /// <summary>For a snapshot of a state bound to a store, the stored version it shows (0 otherwise).</summary>
        public long Version { get; }

        public int Count => Map.Count;
        public IEnumerable<string> Keys => Map.Values.Select(e => e.Key);
        public bool ContainsKey(string key) => Map.ContainsKey(key);

        /// <summary>Reads a copy of <paramref name="key"/>'s value as it was when the snapshot was taken.</summary>
        public bool TryGet(string key, out object? value)
        {
            if (Map.TryGetValue(key, out var entry))
            {
                value = Copier.Copy(entry.Value);
                return true;
            }
            value = null;
            return false;
        }

        internal bool TryGetStored(string key, out object? value)
        {
            var found = Map.TryGetValue(key, out var entry);
            value = entry?.Value;
            return found;
        }
    }
}
