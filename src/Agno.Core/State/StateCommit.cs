using System.Collections.Generic;

namespace Agno.Core
{
    /// <summary>What a commit did: what memory applies to catch up (this commit included), and the conflicts it met.</summary>
    public sealed class StateCommit
    {
        /// <summary>A commit result.</summary>
        /// <param name="changes">What the in-memory state applies: everything committed since the version it showed, this commit included.</param>
        /// <param name="conflicts">Keys that another commit had changed since the delta's base, and how the session's rules resolved each.</param>
        public StateCommit(StoredChanges changes, IReadOnlyList<StoreConflict> conflicts)
        {
            Changes = changes;
            Conflicts = conflicts;
        }

        /// <summary>What the in-memory state applies to show the stored version after the commit.</summary>
        public StoredChanges Changes { get; }

        /// <summary>The stored version after the commit.</summary>
        public long Version => Changes.Version;

        /// <summary>Keys that another commit had changed since the delta's base, and how each was resolved.</summary>
        public IReadOnlyList<StoreConflict> Conflicts { get; }
    }
}
