namespace Agno.Core
{
    /// <summary>A stored value with its key as first written. Stored values are never mutated.</summary>
    internal sealed class StateEntry
    {
        public StateEntry(string key, object? value, bool shared)
        {
            Key = key;
            Value = value;
            Shared = shared;
        }

        public string Key { get; }
        public object? Value { get; }

        /// <summary>The value is immutable: reads hand it out as it is, without copying.</summary>
        public bool Shared { get; }
    }
}
