namespace Agno.Core
{
    /// <summary>Where a node stands, or how it ended; a run's status is its root node's.</summary>
    public enum NodeStatus
    {
        /// <summary>Not started (yet, or ever: a workflow stopped before it).</summary>
        Pending,
        /// <summary>Started and not finished; for a stored run, also one whose process ended while it ran.</summary>
        Running,
        /// <summary>Finished successfully; its changes are committed.</summary>
        Completed,
        /// <summary>A parallel node under ErrorPolicy Continue whose successful branches merged while others failed.</summary>
        CompletedWithErrors,
        /// <summary>Failed with an error (<see cref="NodeRecord.Error"/>); what it had not committed was discarded.</summary>
        Failed,
        /// <summary>Overran its time limit (for a run's root, the run's) and was cancelled; what it had not committed was discarded.</summary>
        TimedOut,
        /// <summary>Stopped because the run was stopped or a sibling branch failed.</summary>
        Cancelled,
        /// <summary>Completed in an earlier run and not run again (a resumed run).</summary>
        Skipped,
        /// <summary>A run a step ended early and successfully (Stop-AgnoWorkflow): what ran is committed; nothing is left to resume.</summary>
        Stopped,
    }
}
