using System;

namespace Agno.Core
{
    /// <summary>A store could not be opened, read or written; the message names the file and what to do.</summary>
    public sealed class StoreException : AgnoException
    {
        public StoreException(string errorId, string message, Exception? inner = null) : base(message, inner)
        {
            ErrorId = errorId;
        }

        public override string ErrorId { get; }
    }
}
