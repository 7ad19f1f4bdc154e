using System.Collections.Generic;
using System.Linq;

namespace Agno.Core
{
    /// <summary>A merge under <see cref="MergeStrategy.Fail"/> found conflicts; nothing was merged.</summary>
    public sealed class MergeConflictException : AgnoException
    {
        /// <summary>An error for the merge of <paramref name="nodeName"/>, naming each conflict and the ways to avoid it.</summary>
        public MergeConflictException(string nodeName, IReadOnlyList<MergeConflict> conflicts)
            : base($"The merge of '{nodeName}' failed (strategy Fail): " +
                   string.Join("; ", conflicts.Select(c => c.ToString())) +
                   ". Nothing was merged. Change each of these from one branch only, give the key a reducer that combines them, or choose LastWriteWins or FirstWriteWins.")
        {
            NodeName = nodeName;
            Conflicts = conflicts;
        }

        /// <summary>The name of the node whose merge failed.</summary>
        public string NodeName { get; }

        /// <summary>Every conflict the merge found.</summary>
        public IReadOnlyList<MergeConflict> Conflicts { get; }

        /// <inheritdoc/>
        public override string ErrorId => "AgnoMergeConflict";

        /// <inheritdoc/>
        public override AgnoErrorKind Kind => AgnoErrorKind.Conflict;

        /// <inheritdoc/>
        public override object? Target => NodeName;
    }
}
