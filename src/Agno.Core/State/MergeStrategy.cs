namespace Agno.Core
{
    /// <summary>What a merge does when branches change one key to different results.</summary>
    public enum MergeStrategy
    {
        /// <summary>The later branch, in branch order, wins.</summary>
        LastWriteWins,
        /// <summary>The earlier branch, in branch order, wins.</summary>
        FirstWriteWins,
        /// <summary>Nothing is merged; the error names each conflicting key and its branches.</summary>
        Fail,
    }
}
