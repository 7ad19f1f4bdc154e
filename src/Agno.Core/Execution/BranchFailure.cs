using System;

namespace Agno.Core
{
    /// <summary>One failed branch of a parallel node.</summary>
    public sealed class BranchFailure
    {
        public BranchFailure(int index, string branch, Exception error)
        {
            Index = index;
            Branch = branch;
            Error = error;
        }

        /// <summary>The branch's position, from 0, in the order the branches were given.</summary>
        public int Index { get; }
        public string Branch { get; }
        public Exception Error { get; }
    }
}
