namespace Agno.Core
{
    /// <summary>
    /// Makes a state's changes durable. A state bound to a committer (see <see cref="AgnoState.Bind"/>)
    /// sends every change (a Set, a Remove, a committed step or merge) here first, as one delta, and
    /// applies in memory what comes back. The State layer defines this port; stores implement it.
    /// </summary>
    public interface IStateCommitter
    {
        /// <summary>
        /// Commits <paramref name="delta"/>, made against <paramref name="baseState"/>, onto the latest
        /// stored version, merging with what others committed since. With a <paramref name="checkpoint"/>,
        /// also records that node as completed, in the same transaction.
        /// </summary>
        /// <param name="baseState">The state the delta was made against.</param>
        /// <param name="delta">The changes to commit.</param>
        /// <param name="checkpoint">The node of a run this commit completes, if any.</param>
        /// <returns>What to apply in memory.</returns>
        StateCommit Commit(StateSnapshot baseState, StateDelta delta, Checkpoint? checkpoint);
    }
}
