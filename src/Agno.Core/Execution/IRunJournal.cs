using System;

namespace Agno.Core
{
    /// <summary>
    /// Where a session's runs are recorded as they start and finish, so that an unfinished run can be
    /// resumed. The Execution layer defines this port; stores implement it for stored sessions.
    /// </summary>
    public interface IRunJournal
    {
        /// <summary>A run of <paramref name="name"/> started (or was resumed) with id <paramref name="runId"/>.</summary>
        /// <param name="runId">The run's id.</param>
        /// <param name="name">The name of the node the run runs.</param>
        void RunStarted(Guid runId, string name);

        /// <summary>A run ended with <paramref name="status"/>.</summary>
        /// <param name="runId">The run's id.</param>
        /// <param name="status">How it ended.</param>
        void RunFinished(Guid runId, NodeStatus status);

        /// <summary>The last unfinished run of <paramref name="name"/>: its id and the top-level nodes it completed; null if none.</summary>
        /// <param name="name">The name of the node to resume.</param>
        ResumePoint? FindUnfinishedRun(string name);
    }
}
