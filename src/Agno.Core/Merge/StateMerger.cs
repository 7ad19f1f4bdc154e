using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;

namespace Agno.Core
{
    /// <summary>
    /// The merge rule. Branches' deltas are applied to the pre-fork state in branch order, never
    /// completion order:
    /// <list type="bullet">
    /// <item>A branch changes a key when it set it to a value different from base (by content), or removed a
    /// key base had. A key a branch did not change is never written by it.</item>
    /// <item>A key with a reducer is combined: reduce(base, merged so far, branch's value), branch by branch.
    /// A removal removes, and a later branch's value is combined with nothing; under FirstWriteWins a
    /// removal after a combined value, or a value after a removal, loses instead.</item>
    /// <item>Two or more branches changing a key (or, with the Merge reducer, an entry inside it) to different
    /// results is a conflict (see <see cref="ConflictFinder"/>), always recorded: LastWriteWins keeps the later
    /// branch's result, FirstWriteWins the earlier's, Fail merges nothing.</item>
    /// </list>
    /// Cost grows with the keys changed, not with the size of the state.
    /// </summary>
    public static class StateMerger
    {
        public static MergeResult Merge(string nodeName, StateSnapshot baseState, IReadOnlyList<BranchDelta> branches, MergePolicy policy,
            CancellationToken cancellationToken = default)
        {
            if (baseState == null) throw new ArgumentNullException(nameof(baseState));
            if (branches == null) throw new ArgumentNullException(nameof(branches));
            for (int i = 0; i < branches.Count; i++)
            {
                if (branches[i] == null)
                {
                    throw new ArgumentException($"Branch {i} of the merge of '{nodeName}' is null; pass one BranchDelta per branch, in branch order.", nameof(branches));
                }
            }
            policy ??= new MergePolicy();
            var copier = baseState.Copier;
            var merged = new Dictionary<string, StateChange>(StringComparer.OrdinalIgnoreCase);
            var conflicts = new List<MergeConflict>();

            foreach (var key in TouchedKeys(branches))
            {
                cancellationToken.ThrowIfCancellationRequested();
                bool inBase = baseState.TryGetStored(key, out var baseValue);
                var changes = ChangesOf(key, inBase, baseValue, branches, copier);
                if (changes.Count == 0) continue;

                var shownKey = inBase && baseState.Map.TryGetValue(key, out var entry) ? entry.Key : changes[0].Change.Key;
                var recorded = new List<PathChange>();
                var reducer = policy.ReducerFor(key);
                var result = reducer != null
                    ? Reduce(shownKey, inBase, baseValue, changes, reducer, policy.Strategy, copier, recorded, cancellationToken)
                    : Resolve(changes, policy.Strategy, recorded);
                conflicts.AddRange(ConflictFinder.Find(shownKey, recorded, policy.Strategy, copier));

                merged[key] = result.IsRemoval ? StateChange.Remove(shownKey) : StateChange.Set(shownKey, result.Value);
            }

            if (policy.Strategy == MergeStrategy.Fail && conflicts.Count > 0)
            {
                throw new MergeConflictException(nodeName, conflicts);
            }
            return new MergeResult(new StateDelta(merged), conflicts);
        }

        private static IEnumerable<string> TouchedKeys(IReadOnlyList<BranchDelta> branches)
        {
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var branch in branches)
            {
                foreach (var change in branch.Delta.Changes)
                {
                    if (seen.Add(change.Key)) yield return change.Key;
                }
            }
        }

        /// <summary>The branches that really changed <paramref name="key"/>, in branch order.</summary>
        private static List<(string Branch, StateChange Change)> ChangesOf(
            string key, bool inBase, object? baseValue, IReadOnlyList<BranchDelta> branches, IValueCopier copier)
        {
            var changes = new List<(string, StateChange)>();
            foreach (var branch in branches)
            {
                if (!branch.Delta.TryGetChange(key, out var change)) continue;
                bool changed = change.IsRemoval ? inBase : !inBase || !copier.AreEqual(baseValue, change.Value);
                if (changed) changes.Add((branch.Branch, change));
            }
            return changes;
        }

        private static StateChange Resolve(List<(string Branch, StateChange Change)> changes, MergeStrategy strategy, List<PathChange> recorded)
        {
            foreach (var (branch, change) in changes) recorded.Add(PathChange.OfKey(branch, change));
            return strategy == MergeStrategy.FirstWriteWins ? changes[0].Change : changes[changes.Count - 1].Change;
        }

        private static StateChange Reduce(string key, bool inBase, object? baseValue, List<(string Branch, StateChange Change)> changes,
            IStateReducer reducer, MergeStrategy strategy, IValueCopier copier, List<PathChange> recorded, CancellationToken cancellationToken)
        {
            var context = new ReducerContext(key, strategy, copier, recorded, cancellationToken);
            // Under FirstWriteWins the first change of the key wins against a later change of the other kind.
            bool firstWins = strategy == MergeStrategy.FirstWriteWins;
            bool removedFirst = firstWins && changes[0].Change.IsRemoval;
            bool present = inBase;
            object? current = baseValue;
            foreach (var (branch, change) in changes)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (change.IsRemoval)
                {
                    recorded.Add(PathChange.OfKey(branch, change));
                    if (firstWins && !removedFirst) continue;
                    present = false;
                    current = null;
                    continue;
                }
                if (removedFirst)
                {
                    recorded.Add(PathChange.Combined(branch));
                    continue;
                }
                int reported = recorded.Count;
                context.Branch = branch;
                try
                {
                    var (b, c, i) = (copier.Copy(inBase ? baseValue : null), copier.Copy(present ? current : null), copier.Copy(change.Value));
                    current = copier.Copy(reducer.Reduce(b, c, i, context));
                    present = true;
                }
                catch (Exception e) when (!(e is OperationCanceledException))
                {
                    throw new ReducerFailedException(key, reducer.Name, branch, e is ValueRefusedException refused ? refused.WithKey(key) : e);
                }
                if (recorded.Count == reported) recorded.Add(PathChange.Combined(branch));
            }
            return present ? StateChange.Set(key, current) : StateChange.Remove(key);
        }
    }
}
