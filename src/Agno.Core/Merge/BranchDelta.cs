using System;

namespace Agno.Core
{
    /// <summary>A branch's name and what it changed: one input of a merge.</summary>
    public sealed class BranchDelta
    {
        /// <summary>What branch <paramref name="branch"/> changed: <paramref name="delta"/>.</summary>
        /// <exception cref="ArgumentNullException"><paramref name="branch"/> or <paramref name="delta"/> is null.</exception>
        public BranchDelta(string branch, StateDelta delta)
        {
            Branch = branch ?? throw new ArgumentNullException(nameof(branch));
            Delta = delta ?? throw new ArgumentNullException(nameof(delta));
        }

        /// <summary>The branch's name, as conflicts and errors give it.</summary>
        public string Branch { get; }

        /// <summary>What the branch changed since it was forked.</summary>
        public StateDelta Delta { get; }
    }
}
