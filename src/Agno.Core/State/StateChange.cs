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

        /// <summary>
        /// Setting <paramref name="key"/> to <paramref name="value"/>. The value is taken as it is, not
        /// copied: pass one nobody else holds (just decoded, or a copy), as the state will own it.
        /// </summary>
        public static StateChange Set(string key, object? value) => new StateChange(AgnoState.CheckKey(key), false, value);

        /// <summary>Removing <paramref name="key"/>.</summary>
        public static StateChange Remove(string key) => new StateChange(AgnoState.CheckKey(key), true, null);

        public string Key { get; }
        public bool IsRemoval { get; }

        /// <summary>The stored value (owned by the state: read it, never change it).</summary>
        public object? Value { get; }

        public override string ToString() => IsRemoval ? $"-{Key}" : $"{Key}={Value}";
    }
}
