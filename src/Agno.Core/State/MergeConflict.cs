using System.Collections.Generic;

namespace Agno.Core
{
    /// <summary>
    /// Two or more branches changed <see cref="Key"/> to different results: the whole key, or (with
    /// the Merge reducer) one entry inside it, at <see cref="Path"/>.
    /// </summary>
    public sealed class MergeConflict
    {
        /// <summary>A conflict on <paramref name="key"/>, or at <paramref name="path"/> inside it (e.g. <c>Config.Smtp.Host</c>; the key itself when null).</summary>
        public MergeConflict(string key, IReadOnlyList<string> branches, string? winner, MergeStrategy strategy, string? path = null)
        {
            Key = key;
            Branches = branches;
            Winner = winner;
            Strategy = strategy;
            Path = path ?? key;
        }

        /// <summary>The state key.</summary>
        public string Key { get; }

        /// <summary>The key, or the entry inside it, that the branches changed differently: <c>Config.Smtp.Host</c>.</summary>
        public string Path { get; }

        /// <summary>Every branch that changed it, in branch order.</summary>
        public IReadOnlyList<string> Branches { get; }

        /// <summary>The branch whose result was kept; null when the strategy is Fail.</summary>
        public string? Winner { get; }

        /// <summary>The strategy that settled it.</summary>
        public MergeStrategy Strategy { get; }

        /// <summary>The path, the branches that changed it and the winner, as errors and warnings word it.</summary>
        public override string ToString() =>
            $"'{Path}' changed by {string.Join(", ", Quote(Branches))}" + (Winner == null ? "" : $" ('{Winner}' won)");

        internal static IEnumerable<string> Quote(IEnumerable<string> names)
        {
            foreach (var n in names) yield return "'" + n + "'";
        }
    }
}
