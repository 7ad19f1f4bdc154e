namespace Agno.Core
{
    /// <summary>What kind of node a <see cref="NodeRecord"/> records.</summary>
    public enum NodeKind
    {
        /// <summary>A step: one body run on its own fork of the state.</summary>
        Step,
        /// <summary>A parallel node: branches run at once on forks of one state, merged in branch order.</summary>
        Parallel,
        /// <summary>A workflow: nodes run in order, each committing before the next starts.</summary>
        Workflow,
        /// <summary>A chain of steps linked with Then, run as one parallel branch; also a loop's iteration and a router's route.</summary>
        Sequence,
        /// <summary>Runs its Then or its Else nodes, as its condition decides.</summary>
        Condition,
        /// <summary>Runs its nodes again and again, until its condition says stop or it reaches its maximum.</summary>
        Loop,
        /// <summary>Runs the routes its selector names, in order.</summary>
        Router,
    }
}
