namespace Agno.Core
{
    /// <summary>
    /// Makes a state's changes durable and shared. A state bound to a committer (see <see cref="AgnoState.Bind"/>)
    /// sends every change (a Set, a Remove, a committed step or merge) here first, as one delta, and
    /// applies in memory what comes back; before it is read or forked, it pulls what others committed.
    /// The State layer defines this port; stores implement it.
    /// </summary>
    public interface IStateCommitter
    {
        /// <summary>
        /// What was committed since <paramref name="sinceVersion"/>, by anyone; null when the stored
        /// version is still <paramref name="sinceVersion"/> (the common case, and the cheap one).
        /// </summary>
        /// <param name="sinceVersion">The stored version the in-memory state shows.</param>
        StoredChanges? Pull(long sinceVersion);

        /// <summary>
        /// Commits <paramref name="delta"/>, made against <paramref name="baseState"/>, onto the latest
        /// stored version: what others committed to the same keys since that base is merged with it by
        /// the session's merge rules, and each such meeting is a <see cref="StoreConflict"/>. With a
        /// <paramref name="checkpoint"/>, also records that node as completed, in the same transaction.
        /// Throws <see cref="StoreConflictException"/>, committing nothing, when the rules say Fail.
        /// </summary>
        /// <param name="baseState">The state the delta was made against (its <see cref="StateSnapshot.Version"/> is the base version).</param>
        /// <param name="delta">The changes to commit.</param>
        /// <param name="knownVersion">The stored version the in-memory state shows: the result brings it up to date from there.</param>
        /// <param name="checkpoint">The node of a run this commit completes, if any.</param>
        /// <returns>What the commit wrote, what to apply in memory, and the conflicts met.</returns>
        StateCommit Commit(StateSnapshot baseState, StateDelta delta, long knownVersion, Checkpoint? checkpoint);
    }
}
