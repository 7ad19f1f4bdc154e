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
    /// <item>A branch changes a key when it set it to a value different from base, or removed a key base had.
    /// A key a branch did not change is never written by it.</item>
    /// <item>A key with a reducer is combined: reduce(base, merged so far, branch's value), branch by branch.
    /// A removal removes.</item>
    /// <item>Otherwise two or more branches changing a key to different results is a conflict, always
    /// recorded: LastWriteWins keeps the later branch's result, FirstWriteWins the earlier's, Fail merges nothing.</item>
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

                var reducer = policy.ReducerFor(key);
                StateChange result;
                if (reducer != null)
                {
                    result = Reduce(key, inBase, baseValue, changes, reducer, copier, cancellationToken);
                }
                else
                {
                    result = Resolve(key, changes, policy.Strategy, copier, conflicts);
                }
                merged[key] = inBase && baseState.Map.TryGetValue(key, out var entry)
                    ? (result.IsRemoval ? StateChange.Remove(entry.Key) : StateChange.Set(entry.Key, result.Value))
                    : result;
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

        private static StateChange Resolve(string key, List<(string Branch, StateChange Change)> changes,
            MergeStrategy strategy, IValueCopier copier, List<MergeConflict> conflicts)
        {
            var first = changes[0];
            var last = changes[changes.Count - 1];
            bool allAgree = changes.All(c => SameResult(first.Change, c.Change, copier));
            if (!allAgree)
            {
                string? winner = strategy switch
                {
                    MergeStrategy.LastWriteWins => last.Branch,
                    MergeStrategy.FirstWriteWins => first.Branch,
                    _ => null,
                };
                conflicts.Add(new MergeConflict(first.Change.Key, changes.Select(c => c.Branch).ToList(), winner, strategy));
            }
            return strategy == MergeStrategy.FirstWriteWins ? first.Change : last.Change;
        }

        private static bool SameResult(StateChange a, StateChange b, IValueCopier copier) =>
            a.IsRemoval == b.IsRemoval && (a.IsRemoval || copier.AreEqual(a.Value, b.Value));

        private static StateChange Reduce(string key, bool inBase, object? baseValue,
            List<(string Branch, StateChange Change)> changes, IStateReducer reducer, IValueCopier copier, CancellationToken cancellationToken)
        {
            bool present = inBase;
            object? current = baseValue;
            foreach (var (branch, change) in changes)
            {
                if (change.IsRemoval)
                {
                    present = false;
                    current = null;
                    continue;
                }
                try
                {
                    var (b, c, i) = (copier.Copy(inBase ? baseValue : null), copier.Copy(present ? current : null), copier.Copy(change.Value));
                    var reduced = reducer is ICancellableReducer cancellable ? cancellable.Reduce(b, c, i, cancellationToken) : reducer.Reduce(b, c, i);
                    current = copier.Copy(reduced);
                    present = true;
                }
                catch (Exception e) when (!(e is OperationCanceledException))
                {
                    throw new ReducerFailedException(key, reducer.Name, branch, e is ValueRefusedException refused ? refused.WithKey(key) : e);
                }
            }
            return present ? StateChange.Set(changes[0].Change.Key, current) : StateChange.Remove(changes[0].Change.Key);
        }
    }
}
