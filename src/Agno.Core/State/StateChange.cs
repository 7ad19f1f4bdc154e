namespace Agno.Core
{
    /// <summary>One key's change in a <see cref="StateDelta"/>: set to a value, or removed.</summary>
    public sealed class StateChange
    {
        private StateChange(string key, bool isRemoval, object? value)
        {
            Key = key;
            IsRemoval = isRemoval;
            Value = value;
        }

        internal static StateChange Set(string key, object? value) => new StateChange(key, false, value);
        internal static StateChange Remove(string key) => new StateChange(key, true, null);

        public string Key { get; }
        public bool IsRemoval { get; }

        /// <summary>The stored value (owned by the state: read it, never change it).</summary>
        public object? Value { get; }

        public override string ToString() => IsRemoval ? $"-{Key}" : $"{Key}={Value}";
    }
}
