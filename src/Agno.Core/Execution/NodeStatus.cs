namespace Agno.Core
{
    public enum NodeStatus
    {
        /// <summary>Not started (yet, or ever: a workflow stopped before it).</summary>
        Pending,
        Running,
        Completed,
        /// <summary>A parallel node under ErrorPolicy Continue whose successful branches merged while others failed.</summary>
        CompletedWithErrors,
        Failed,
        TimedOut,
        /// <summary>Stopped because the run was stopped or a sibling branch failed.</summary>
        Cancelled,
        /// <summary>Completed in an earlier run and not run again (a resumed run).</summary>
        Skipped,
        /// <summary>A run a step ended early and successfully (Stop-AgnoWorkflow): what ran is committed; nothing is left to resume.</summary>
        Stopped,
    }
}
