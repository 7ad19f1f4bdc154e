using System.Collections.Generic;

namespace Agno.Core
{
    /// <summary>The combined change of every branch, and the conflicts met on the way.</summary>
    public sealed class MergeResult
    {
        internal MergeResult(StateDelta delta, IReadOnlyList<MergeConflict> conflicts)
        {
            Delta = delta;
            Conflicts = conflicts;
        }

        /// <summary>Every branch's changes combined, to be committed at once.</summary>
        public StateDelta Delta { get; }

        /// <summary>Every conflict the merge met, as its strategy settled it.</summary>
        public IReadOnlyList<MergeConflict> Conflicts { get; }
    }
}
