using System.Collections.Generic;
using System.Linq;

namespace Agno.Core
{
    /// <summary>A merge under <see cref="MergeStrategy.Fail"/> found conflicts; nothing was merged.</summary>
    public sealed class MergeConflictException : AgnoException
    {
        public MergeConflictException(string nodeName, IReadOnlyList<MergeConflict> conflicts)
            : base($"The merge of '{nodeName}' failed (strategy Fail): " +
                   string.Join("; ", conflicts.Select(c => c.ToString())) +
                   ". Nothing was merged. Change each of these from one branch only, give the key a reducer that combines them, or choose LastWriteWins or FirstWriteWins.")
        {
            NodeName = nodeName;
            Conflicts = conflicts;
        }

        public string NodeName { get; }
        public IReadOnlyList<MergeConflict> Conflicts { get; }
        public override string ErrorId => "AgnoMergeConflict";
        public override AgnoErrorKind Kind => AgnoErrorKind.Conflict;
        public override object? Target => NodeName;
    }
}
