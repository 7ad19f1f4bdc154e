using System;

namespace Agno.Core
{
    /// <summary>Settings of one run of a node.</summary>
    public sealed class RunOptions
    {
        /// <summary>The whole run's time limit; when it passes, running steps are cancelled and the run fails.</summary>
        public TimeSpan? Timeout { get; set; }

        /// <summary>Told when each node starts and finishes (null: nobody); one that is also an <see cref="IBranchObserver"/> is told when each parallel branch settles.</summary>
        public IRunObserver? Observer { get; set; }

        /// <summary>
        /// Continue the last unfinished run of this node (from the store of a stored session, else from
        /// the session's own history): top-level nodes it completed are skipped (recorded as Skipped).
        /// With no unfinished run, the run starts afresh and its record's <see cref="RunRecord.IsResumed"/> is false.
        /// </summary>
        public bool Resume { get; set; }
    }
}
