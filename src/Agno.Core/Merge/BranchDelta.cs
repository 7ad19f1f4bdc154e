using System;

namespace Agno.Core
{
    /// <summary>A branch's name and what it changed: one input of a merge.</summary>
    public sealed class BranchDelta
    {
        public BranchDelta(string branch, StateDelta delta)
        {
            Branch = branch ?? throw new ArgumentNullException(nameof(branch));
            Delta = delta ?? throw new ArgumentNullException(nameof(delta));
        }

        public string Branch { get; }
        public StateDelta Delta { get; }
    }
}
