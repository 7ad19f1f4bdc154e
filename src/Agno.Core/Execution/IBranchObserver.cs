namespace Agno.Core
{
    /// <summary>
    /// An <see cref="IRunObserver"/> that also wants to know, in branch order, when each branch of a
    /// parallel node is settled: it has finished and so has every branch before it (a completed one's
    /// changes are then folded into the merge). What a branch wrote can be released in input order from here.
    /// </summary>
    public interface IBranchObserver
    {
        /// <param name="parallel">The parallel node's record.</param>
        /// <param name="index">The branch's position, from 0, in the order the branches were given or fed.</param>
        /// <param name="branch">The branch's record, with its final status.</param>
        void BranchSettled(NodeRecord parallel, int index, NodeRecord branch);
    }
}
