using System.Collections.Generic;

namespace Agno.Core
{
    /// <summary>Two or more branches changed <see cref="Key"/> to different results.</summary>
    public sealed class MergeConflict
    {
        public MergeConflict(string key, IReadOnlyList<string> branches, string? winner, MergeStrategy strategy)
        {
            Key = key;
            Branches = branches;
            Winner = winner;
            Strategy = strategy;
        }

        public string Key { get; }

        /// <summary>Every branch that changed the key, in branch order.</summary>
        public IReadOnlyList<string> Branches { get; }

        /// <summary>The branch whose result was kept; null when the strategy is Fail.</summary>
        public string? Winner { get; }

        public MergeStrategy Strategy { get; }

        public override string ToString() =>
            $"'{Key}' changed by {string.Join(", ", Quote(Branches))}" + (Winner == null ? "" : $" ('{Winner}' won)");

        internal static IEnumerable<string> Quote(IEnumerable<string> names)
        {
            foreach (var n in names) yield return "'" + n + "'";
        }
    }
}
