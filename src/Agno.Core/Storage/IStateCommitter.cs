using System;
using System.Collections.Generic;

namespace Agno.Core
{
    /// <summary>
    /// Makes a session's changes durable: a state with a committer sends every change (a Set, a
    /// Remove, a committed step or merge) here first, as one delta, and applies in memory what comes
    /// back. A run's progress is recorded too, so that an unfinished run can be resumed.
    /// </summary>
    public interface IStateCommitter
    {
        /// <summary>
        /// Commits <paramref name="delta"/>, made against <paramref name="baseState"/>, onto the latest
        /// stored version, merging with what others committed since (the later commit wins a conflict).
        /// With a <paramref name="checkpoint"/>, also records that node as completed, in the same transaction.
        /// </summary>
        StateCommit Commit(StateSnapshot baseState, StateDelta delta, Checkpoint? checkpoint);

        void RunStarted(Guid runId, string name);
        void RunFinished(Guid runId, NodeStatus status);

        /// <summary>The last unfinished run of <paramref name="name"/>: its id and the top-level nodes it completed; null if none.</summary>
        ResumePoint? FindUnfinishedRun(string name);
    }

    /// <summary>A top-level node of a run that a commit completes.</summary>
    public sealed class Checkpoint
    {
        public Checkpoint(Guid runId, string nodeName)
        {
            RunId = runId;
            NodeName = nodeName;
        }

        public Guid RunId { get; }
        public string NodeName { get; }
    }

    /// <summary>Where a resumed run starts: its id and the top-level nodes already completed.</summary>
    public sealed class ResumePoint
    {
        public ResumePoint(Guid runId, IReadOnlyCollection<string> completed)
        {
            RunId = runId;
            Completed = completed;
        }

        public Guid RunId { get; }
        public IReadOnlyCollection<string> Completed { get; }
    }

    /// <summary>What a commit did: the changes to apply in memory, or the whole state when others had written too.</summary>
    public sealed class StateCommit
    {
        public StateCommit(StateDelta applied, IReadOnlyDictionary<string, object?>? reloaded, IReadOnlyList<MergeConflict> conflicts)
        {
            Applied = applied;
            Reloaded = reloaded;
            Conflicts = conflicts;
        }

        public StateDelta Applied { get; }

        /// <summary>The whole stored state after the commit, when other writers had committed since this state's base.</summary>
        public IReadOnlyDictionary<string, object?>? Reloaded { get; }

        public IReadOnlyList<MergeConflict> Conflicts { get; }
    }
}
