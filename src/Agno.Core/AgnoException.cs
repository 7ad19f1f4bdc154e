using System;

namespace Agno.Core
{
    /// <summary>Base of every error the engine raises on purpose; catch this to catch them all.</summary>
    public abstract class AgnoException : Exception
    {
        protected AgnoException(string message, Exception? inner = null) : base(message, inner) { }

        /// <summary>A stable identifier for the kind of failure (the PowerShell FullyQualifiedErrorId).</summary>
        public abstract string ErrorId { get; }

        /// <summary>The run this failure ended, when it happened inside a run.</summary>
        public RunRecord? Run { get; internal set; }
    }
}
