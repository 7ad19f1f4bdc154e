using System;

namespace Agno.Core
{
    /// <summary>Settings of one run of a node.</summary>
    public sealed class RunOptions
    {
        /// <summary>The whole run's time limit; when it passes, running steps are cancelled and the run fails.</summary>
        public TimeSpan? Timeout { get; set; }

        public IRunObserver? Observer { get; set; }
    }
}
