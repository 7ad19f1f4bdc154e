using System;

namespace Agno.Core
{
    /// <summary>A node of a run that a commit completes: recorded in the same transaction as the node's changes.</summary>
    public sealed class Checkpoint
    {
        /// <summary>A checkpoint for node <paramref name="nodeName"/> of run <paramref name="runId"/>.</summary>
        /// <param name="runId">The run the node belongs to.</param>
        /// <param name="runName">The name of what the run runs (the key a resume looks it up by).</param>
        /// <param name="nodeName">The top-level node's name.</param>
        public Checkpoint(Guid runId, string runName, string nodeName)
        {
            RunId = runId;
            RunName = runName;
            NodeName = nodeName;
        }

        /// <summary>The run the node belongs to.</summary>
        public Guid RunId { get; }

        /// <summary>The name of what the run runs.</summary>
        public string RunName { get; }

        /// <summary>The completed node's name.</summary>
        public string NodeName { get; }
    }
}
