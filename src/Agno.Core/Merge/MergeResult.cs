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

        public StateDelta Delta { get; }
        public IReadOnlyList<MergeConflict> Conflicts { get; }
    }
}
