using System;
using System.Collections.Generic;
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
    /// The rule is a fold: a merger takes the branches one at a time, in branch order (<see cref="Add"/>),
    /// each folded at once into one pending change set, and <see cref="Complete"/> ends it. <see cref="Merge"/>
    /// is that fold over a list, so that a node that merges branches as they finish (holding no branch's
    /// state once folded) and one that merges them all at the end follow one rule. Cost grows with the keys
    /// changed, not with the size of the state.
    /// </summary>
    public sealed class StateMerger
    {
        private readonly string _nodeName;
        private readonly StateSnapshot _base;
        private readonly MergePolicy _policy;
        private readonly IValueCopier _copier;
        // In the order keys were first changed; what is pending for each.
        private readonly Dictionary<string, KeyFold> _keys = new Dictionary<string, KeyFold>(StringComparer.OrdinalIgnoreCase);
        private int _added;
        private bool _completed;

        /// <summary>A merge of branches forked from <paramref name="baseState"/>, to be given one at a time with <see cref="Add"/>.</summary>
        public StateMerger(string nodeName, StateSnapshot baseState, MergePolicy? policy)
        {
            _nodeName = nodeName ?? throw new ArgumentNullException(nameof(nodeName));
            _base = baseState ?? throw new ArgumentNullException(nameof(baseState));
            _policy = policy ?? new MergePolicy();
            _copier = baseState.Copier;
        }

        /// <summary>How many branches have been folded in.</summary>
        public int BranchCount => _added;

        /// <summary>Merges <paramref name="branches"/> (in branch order) into one change of the base state.</summary>
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
            var merger = new StateMerger(nodeName, baseState, policy);
            foreach (var branch in branches) merger.Add(branch, cancellationToken);
            return merger.Complete(cancellationToken);
        }

        /// <summary>
        /// Folds the next branch (in branch order) into the pending change set. The merger keeps only what
        /// the rule needs of it afterwards: its changed values and, for conflicts, which keys it changed.
        /// A reducer that throws fails the merge (<see cref="ReducerFailedException"/>).
        /// </summary>
        public void Add(BranchDelta branch, CancellationToken cancellationToken = default)
        {
            if (branch == null) throw new ArgumentNullException(nameof(branch), $"A null branch cannot be merged into '{_nodeName}'; pass one BranchDelta per branch, in branch order.");
            if (_completed) throw new InvalidOperationException($"The merge of '{_nodeName}' is complete; no branch can be added to it.");
            _added++;
            foreach (var change in branch.Delta.Changes)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!_keys.TryGetValue(change.Key, out var fold))
                {
                    bool inBase = _base.TryGetStored(change.Key, out var baseValue);
                    if (!Changes(inBase, baseValue, change)) continue;
                    var shownKey = inBase && _base.Map.TryGetValue(change.Key, out var entry) ? entry.Key : change.Key;
                    _keys[change.Key] = fold = new KeyFold(shownKey, inBase, baseValue, _policy.ReducerFor(change.Key));
                }
                else if (!Changes(fold.InBase, fold.BaseValue, change))
                {
                    continue;
                }
                if (fold.Reducer != null) Reduce(fold, branch.Branch, change, cancellationToken);
                else Resolve(fold, branch.Branch, change);
            }
        }

        /// <summary>
        /// Ends the merge: the combined change and every conflict met. Under <see cref="MergeStrategy.Fail"/>,
        /// any conflict throws <see cref="MergeConflictException"/> instead, and nothing is to be applied.
        /// </summary>
        public MergeResult Complete(CancellationToken cancellationToken = default)
        {
            _completed = true;
            var merged = new Dictionary<string, StateChange>(StringComparer.OrdinalIgnoreCase);
            var conflicts = new List<MergeConflict>();
            foreach (var pair in _keys)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var fold = pair.Value;
                conflicts.AddRange(ConflictFinder.Find(fold.ShownKey, fold.Recorded, _policy.Strategy, _copier));
                merged[pair.Key] = fold.Present ? StateChange.Set(fold.ShownKey, fold.Current) : StateChange.Remove(fold.ShownKey);
            }
            if (_policy.Strategy == MergeStrategy.Fail && conflicts.Count > 0)
            {
                throw new MergeConflictException(_nodeName, conflicts);
            }
            return new MergeResult(new StateDelta(merged), conflicts);
        }

        /// <summary>Whether <paramref name="change"/> really changes its key against base.</summary>
        private bool Changes(bool inBase, object? baseValue, StateChange change) =>
            change.IsRemoval ? inBase : !inBase || !_copier.AreEqual(baseValue, change.Value);

        /// <summary>A key without reducer: LastWriteWins and Fail keep the latest change, FirstWriteWins the first.</summary>
        private void Resolve(KeyFold fold, string branch, StateChange change)
        {
            fold.Recorded.Add(PathChange.OfKey(branch, change));
            if (fold.Recorded.Count > 1 && _policy.Strategy == MergeStrategy.FirstWriteWins) return;
            fold.Present = !change.IsRemoval;
            fold.Current = change.Value;
        }

        private void Reduce(KeyFold fold, string branch, StateChange change, CancellationToken cancellationToken)
        {
            // Under FirstWriteWins the first change of the key wins against a later change of the other kind.
            bool firstWins = _policy.Strategy == MergeStrategy.FirstWriteWins;
            bool first = fold.Recorded.Count == 0;
            if (first) fold.RemovedFirst = firstWins && change.IsRemoval;
            if (change.IsRemoval)
            {
                fold.Recorded.Add(PathChange.OfKey(branch, change));
                if (firstWins && !fold.RemovedFirst) return;
                fold.Present = false;
                fold.Current = null;
                return;
            }
            if (fold.RemovedFirst)
            {
                fold.Recorded.Add(PathChange.Combined(branch));
                return;
            }
            int reported = fold.Recorded.Count;
            var context = new ReducerContext(fold.ShownKey, _policy.Strategy, _copier, fold.Recorded, cancellationToken) { Branch = branch };
            try
            {
                var (b, c, i) = (_copier.Copy(fold.InBase ? fold.BaseValue : null), _copier.Copy(fold.Present ? fold.Current : null), _copier.Copy(change.Value));
                fold.Current = _copier.Copy(fold.Reducer!.Reduce(b, c, i, context));
                fold.Present = true;
            }
            catch (Exception e) when (!(e is OperationCanceledException))
            {
                throw new ReducerFailedException(fold.ShownKey, fold.Reducer!.Name, branch, e is ValueRefusedException refused ? refused.WithKey(fold.ShownKey) : e);
            }
            if (fold.Recorded.Count == reported) fold.Recorded.Add(PathChange.Combined(branch));
        }

        /// <summary>What is pending for one key: its base, the result so far, and each branch's change of it (for conflicts).</summary>
        private sealed class KeyFold
        {
            public KeyFold(string shownKey, bool inBase, object? baseValue, IStateReducer? reducer)
            {
                ShownKey = shownKey;
                InBase = inBase;
                BaseValue = baseValue;
                Reducer = reducer;
                Present = inBase;
                Current = baseValue;
            }

            public string ShownKey { get; }
            public bool InBase { get; }
            public object? BaseValue { get; }
            public IStateReducer? Reducer { get; }
            public List<PathChange> Recorded { get; } = new List<PathChange>();
            public bool RemovedFirst;
            public bool Present;
            public object? Current;
        }
    }
}
