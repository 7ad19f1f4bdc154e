using System;
using System.Collections.Generic;

namespace Agno.Core
{
    /// <summary>Where a resumed run starts: its id and the top-level nodes already completed.</summary>
    public sealed class ResumePoint
    {
        /// <summary>A resume point.</summary>
        /// <param name="runId">The id of the run to continue.</param>
        /// <param name="completed">The names of its top-level nodes that completed.</param>
        public ResumePoint(Guid runId, IReadOnlyCollection<string> completed)
        {
            RunId = runId;
            Completed = completed;
        }

        /// <summary>The id of the run to continue.</summary>
        public Guid RunId { get; }

        /// <summary>The names of its top-level nodes that completed.</summary>
        public IReadOnlyCollection<string> Completed { get; }
    }
}
