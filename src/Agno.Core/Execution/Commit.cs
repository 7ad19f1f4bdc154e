namespace Agno.Core
{
    /// <summary>How a node commits its changes into the state it runs on, and records what the commit met.</summary>
    internal static class Commit
    {
        /// <summary>
        /// Applies <paramref name="delta"/> to <paramref name="state"/> (committing it, for a stored session)
        /// and puts the conflicts with other processes' commits on the node's record, also when the
        /// session's rules refused the commit.
        /// </summary>
        public static StateCommit? Into(AgnoState state, StateDelta delta, Checkpoint? checkpoint, NodeRecord record)
        {
            try
            {
                var commit = state.Apply(delta, checkpoint);
                if (commit != null) record.StoreConflicts = commit.Conflicts;
                return commit;
            }
            catch (StoreConflictException refused)
            {
                record.StoreConflicts = refused.Conflicts;
                throw;
            }
        }
    }
}
