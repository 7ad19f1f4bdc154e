namespace Agno.Core
{
    /// <summary>What a parallel node does when a branch fails.</summary>
    public enum ErrorPolicy
    {
        /// <summary>Cancel the other branches, merge nothing, fail with every branch's error.</summary>
        Stop,
        /// <summary>Merge the branches that succeeded; report each failure on the record.</summary>
        Continue,
    }
}
