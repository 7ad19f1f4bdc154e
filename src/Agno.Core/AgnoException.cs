using System;

namespace Agno.Core
{
    /// <summary>Base of every error the engine raises on purpose; catch this to catch them all.</summary>
    public abstract class AgnoException : Exception
    {
        /// <summary>An error with <paramref name="message"/>, caused by <paramref name="inner"/> if given.</summary>
        protected AgnoException(string message, Exception? inner = null) : base(message, inner) { }

        /// <summary>A stable identifier for the kind of failure, of the form <c>Agno&lt;Name&gt;</c> (the PowerShell FullyQualifiedErrorId).</summary>
        public abstract string ErrorId { get; }

        /// <summary>What kind of failure it is (the PowerShell ErrorCategory is made from it).</summary>
        public virtual AgnoErrorKind Kind => AgnoErrorKind.Failed;

        /// <summary>What the failure is about: the key, step, branch, session or store it names; null when nothing in particular.</summary>
        public virtual object? Target => null;

        /// <summary>The run this failure ended, when it happened inside a run.</summary>
        public RunRecord? Run { get; internal set; }
    }
}
