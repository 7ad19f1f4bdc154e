using System;

namespace Agno.Core
{
    /// <summary>An argument a user gave is not acceptable; the message says which and what to do, <see cref="Target"/> names what it is about.</summary>
    public sealed class AgnoArgumentException : AgnoException
    {
        /// <summary>An error about <paramref name="target"/> (a key, a step, a branch), or about nothing in particular.</summary>
        public AgnoArgumentException(string message, object? target = null, Exception? inner = null) : base(message, inner)
        {
            _target = target;
        }

        private readonly object? _target;

        /// <inheritdoc/>
        public override string ErrorId => "AgnoInvalidArgument";

        /// <inheritdoc/>
        public override AgnoErrorKind Kind => AgnoErrorKind.InvalidArgument;

        /// <inheritdoc/>
        public override object? Target => _target;
    }
}
