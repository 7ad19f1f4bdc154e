using System;

namespace Agno.Core
{
    /// <summary>One failed branch of a parallel node.</summary>
    public sealed class BranchFailure
    {
        /// <summary>The failure of branch <paramref name="branch"/>, at position <paramref name="index"/> (from 0), with the error it failed with.</summary>
        public BranchFailure(int index, string branch, Exception error)
        {
            Index = index;
            Branch = branch;
            Error = error;
        }

        /// <summary>The branch's position, from 0, in the order the branches were given.</summary>
        public int Index { get; }

        /// <summary>The branch's name.</summary>
        public string Branch { get; }

        /// <summary>The error the branch failed with (its last attempt's, when it was retried).</summary>
        public Exception Error { get; }
    }
}
