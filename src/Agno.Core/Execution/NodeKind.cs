namespace Agno.Core
{
    public enum NodeKind
    {
        Step,
        Parallel,
        Workflow,
        /// <summary>A chain of steps linked with Then, run as one parallel branch.</summary>
        Sequence,
    }
}
