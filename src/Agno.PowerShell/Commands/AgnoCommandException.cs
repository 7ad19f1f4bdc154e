using System;
using Agno.Core;

namespace Agno.Commands
{
    /// <summary>A failure of the module's own making (no current session, a session not in a store...), with its stable id, kind and target.</summary>
    public sealed class AgnoCommandException : AgnoException
    {
        private readonly AgnoErrorKind _kind;
        private readonly object? _target;

        /// <summary>An error with id <paramref name="errorId"/> (of the form Agno&lt;Name&gt;).</summary>
        public AgnoCommandException(string errorId, string message, AgnoErrorKind kind, object? target = null, Exception? inner = null) : base(message, inner)
        {
            ErrorId = errorId;
            _kind = kind;
            _target = target;
        }

        /// <inheritdoc/>
        public override string ErrorId { get; }

        /// <inheritdoc/>
        public override AgnoErrorKind Kind => _kind;

        /// <inheritdoc/>
        public override object? Target => _target;
    }
}
