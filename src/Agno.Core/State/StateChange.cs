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

        /// <summary>The key changed.</summary>
        public string Key { get; }

        /// <summary>True when the key was removed (<see cref="Value"/> is then null).</summary>
        public bool IsRemoval { get; }

        /// <summary>The stored value (owned by the state: read it, never change it).</summary>
        public object? Value { get; }

        /// <summary><c>-key</c> for a removal, <c>key=value</c> for a set, for display.</summary>
        public override string ToString() => IsRemoval ? $"-{Key}" : $"{Key}={Value}";
    }
}
