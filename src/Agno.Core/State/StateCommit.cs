using System.Collections.Generic;

namespace Agno.Core
{
    /// <summary>What a commit did: the changes it wrote, what memory applies to catch up, and the conflicts it met.</summary>
    public sealed class StateCommit
    {
        /// <summary>A commit result.</summary>
        /// <param name="applied">The changes the commit wrote (the delta, merged with others' commits).</param>
        /// <param name="changes">What the in-memory state applies: everything committed since the version it showed, this commit included.</param>
        /// <param name="conflicts">Keys that another commit had changed since the delta's base, and how the session's rules resolved each.</param>
        public StateCommit(StateDelta applied, StoredChanges changes, IReadOnlyList<StoreConflict> conflicts)
        {
            Applied = applied;
            Changes = changes;
            Conflicts = conflicts;
        }

        /// <summary>The changes the commit wrote.</summary>
        public StateDelta Applied { get; }

        /// <summary>What the in-memory state applies to show the stored version after the commit.</summary>
        public StoredChanges Changes { get; }

        /// <summary>The stored version after the commit.</summary>
        public long Version => Changes.Version;

        /// <summary>Keys that another commit had changed since the delta's base, and how each was resolved.</summary>
        public IReadOnlyList<StoreConflict> Conflicts { get; }
    }
}
