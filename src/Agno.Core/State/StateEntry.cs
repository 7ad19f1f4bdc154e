namespace Agno.Core
{
    /// <summary>A stored value with its key as first written. Stored values are never mutated.</summary>
    internal sealed class StateEntry
    {
        public StateEntry(string key, object? value) { Key = key; Value = value; }
        public string Key { get; }
        public object? Value { get; }
    }
}
