using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;

namespace Agno.Core
{
    /// <summary>A frozen view of a state at one moment; taking one costs time in the writes since the last one, never in the state's size.</summary>
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

        /// <summary>How many keys it holds.</summary>
        public int Count => Map.Count;

        /// <summary>Its keys, as first written, in no particular order.</summary>
        public IEnumerable<string> Keys => Map.Values.Select(e => e.Key);

        /// <summary>True when it holds <paramref name="key"/> (case-insensitive).</summary>
        /// <exception cref="System.ArgumentNullException"><paramref name="key"/> is null.</exception>
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
