namespace Agno.Core
{
    /// <summary>A read of a key the state does not hold.</summary>
    public sealed class StateKeyNotFoundException : AgnoException
    {
        /// <summary>An error for the missing <paramref name="key"/>.</summary>
        public StateKeyNotFoundException(string key)
            : base($"The session state has no key '{key}'.")
        {
            Key = key;
        }

        /// <summary>The key that is missing.</summary>
        public string Key { get; }

        /// <inheritdoc/>
        public override string ErrorId => "AgnoStateKeyNotFound";

        /// <inheritdoc/>
        public override AgnoErrorKind Kind => AgnoErrorKind.NotFound;

        /// <inheritdoc/>
        public override object? Target => Key;
    }
}
