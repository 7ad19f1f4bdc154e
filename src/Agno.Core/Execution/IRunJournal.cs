namespace Agno.Core
{
    /// <summary>
    /// Where a stored session's runs are recorded, so that a new process sees them and an unfinished
    /// run can be resumed. A run is written when its first node commits (in that commit's transaction,
    /// with the node's checkpoint) and again when it ends, with its whole record. The Execution layer
    /// defines this port; stores implement it.
    /// </summary>
    public interface IRunJournal
    {
        /// <summary>A run ended: records its status and its record, and drops the session's oldest runs beyond its history limit.</summary>
        /// <param name="run">The run, finished.</param>
        void RunFinished(RunRecord run);

        /// <summary>The last run of <paramref name="name"/> if it is unfinished: its id and the top-level nodes it completed; null if none.</summary>
        /// <param name="name">The name of the node to resume.</param>
        ResumePoint? FindUnfinishedRun(string name);
    }
}
