namespace Agno.Core
{
    public enum NodeKind
    {
        Step,
        Parallel,
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
