using System.Collections.Generic;

namespace Agno.Core
{
    /// <summary>What a commit did: the changes to apply in memory, or the whole state when others had written too.</summary>
    public sealed class StateCommit
    {
        /// <summary>A commit result.</summary>
        /// <param name="applied">The changes the commit applied.</param>
        /// <param name="reloaded">The whole stored state after the commit, when others had written since the base.</param>
        /// <param name="conflicts">Conflicts with other writers' commits, resolved by the session's merge rules.</param>
        public StateCommit(StateDelta applied, IReadOnlyDictionary<string, object?>? reloaded, IReadOnlyList<MergeConflict> conflicts)
        {
            Applied = applied;
            Reloaded = reloaded;
            Conflicts = conflicts;
        }

        /// <summary>The changes the commit applied.</summary>
        public StateDelta Applied { get; }

        /// <summary>The whole stored state after the commit, when other writers had committed since this state's base.</summary>
        public IReadOnlyDictionary<string, object?>? Reloaded { get; }

        /// <summary>Conflicts with other writers' commits.</summary>
        public IReadOnlyList<MergeConflict> Conflicts { get; }
    }
}
