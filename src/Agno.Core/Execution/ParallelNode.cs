using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Agno.Core
{
    /// <summary>
    /// Runs its branches concurrently, each on its own fork of the state taken at one moment, then
    /// merges their changes in branch order (see <see cref="StateMerger"/>). A branch is a node and
    /// the nodes chained after it with Then; branches may themselves be workflows or parallel nodes.
    /// The branches are given up front (<see cref="AddNode"/>) or fed while the node runs (a
    /// <see cref="BranchFeed"/>: one branch per item of a stream). Either way each finished branch's
    /// changes are folded into one pending change set as soon as every branch before it has finished,
    /// and the branch's own copy of the state is let go then; the node commits that change set, once,
    /// when all have finished, so it stays atomic.
    /// </summary>
    public sealed class ParallelNode : WorkflowNode
    {
        /// <summary>
        /// How many branches may have started while an earlier one is still running: finished branches wait
        /// for their turn to be merged, so this bounds what waits when one branch is slow.
        /// </summary>
        public const int OrderWindow = 4096;

        private readonly List<WorkflowNode> _branches = new List<WorkflowNode>();
        private int? _throttleLimit;

        /// <summary>A parallel node named <paramref name="name"/>, whose branches are added with <see cref="AddNode"/>.</summary>
        /// <exception cref="ArgumentException"><paramref name="name"/> is null, empty or white space.</exception>
        public ParallelNode(string name) : base(name) { }

        /// <summary>A node whose branches come from <paramref name="feed"/> while it runs (it can run once).</summary>
        public ParallelNode(string name, BranchFeed feed) : base(name)
        {
            Feed = feed ?? throw new ArgumentNullException(nameof(feed));
        }

        /// <inheritdoc/>
        public override NodeKind Kind => NodeKind.Parallel;

        /// <summary>The branches given up front; empty for a fed node.</summary>
        public IReadOnlyList<WorkflowNode> Branches => _branches;

        /// <summary>Where the branches come from while the node runs, for a fed node; null otherwise.</summary>
        public BranchFeed? Feed { get; }

        /// <summary>How the branches merge; null (the default) uses the session's rules (<see cref="AgnoSession.MergePolicy"/>).</summary>
        public MergePolicy? MergePolicy { get; set; }

        /// <summary>What a failed branch does to the others: <see cref="ErrorPolicy.Stop"/> (the default) cancels them and merges nothing; <see cref="ErrorPolicy.Continue"/> merges those that succeeded.</summary>
        public ErrorPolicy ErrorPolicy { get; set; } = ErrorPolicy.Stop;

        /// <summary>When a failed branch runs again, from a fresh fork of the same state (null: never).</summary>
        public RetryPolicy? BranchRetry { get; set; }

        /// <summary>How many branches run at once; null runs them all at once.</summary>
        public int? ThrottleLimit
        {
            get => _throttleLimit;
            set
            {
                if (value.HasValue && value.Value < 1)
                {
                    throw new ArgumentOutOfRangeException(nameof(value), value, $"The throttle limit of parallel '{Name}' must be at least 1.");
                }
                _throttleLimit = value;
            }
        }

        /// <summary>Adds a branch; its name must differ from the other branches' (names identify branches in conflicts and errors).</summary>
        public ParallelNode AddNode(WorkflowNode node)
        {
            if (node == null) throw new ArgumentNullException(nameof(node), $"A null branch cannot be added to parallel '{Name}'.");
            if (Feed != null) throw new InvalidOperationException($"Parallel '{Name}' takes its branches from its feed; add them there.");
            if (_branches.Any(b => string.Equals(b.Name, node.Name, StringComparison.OrdinalIgnoreCase)))
            {
                throw new ArgumentException($"Parallel '{Name}' already has a branch named '{node.Name}'; give each branch a distinct name.", nameof(node));
            }
            _branches.Add(node);
            return this;
        }

        internal override Task RunCoreAsync(AgnoSession context, NodeRecord record, RunEnvironment environment, CancellationToken cancellationToken) =>
            new ParallelRun(this, context, record, environment).RunAsync(cancellationToken);

        /// <summary>One run of the node: starts branches as the throttle allows, and folds each into the merge in branch order.</summary>
        private sealed class ParallelRun
        {
            private readonly ParallelNode _node;
            private readonly AgnoSession _context;
            private readonly NodeRecord _record;
            private readonly RunEnvironment _environment;
            private readonly StateSnapshot _origin;
            private readonly StateMerger _merger;
            private readonly IBranchObserver? _observer;
            private readonly object _gate = new object();
            // Finished branches not yet folded, by index; each folded (and removed) when its turn comes.
            private readonly Dictionary<int, Finished> _finished = new Dictionary<int, Finished>();
            private readonly List<BranchFailure> _failures = new List<BranchFailure>();
            private readonly List<object?>? _outputs;
            private readonly TaskCompletionSource<bool> _allDone = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            private CancellationTokenSource _siblings = null!;
            private CancellationToken _mergeToken;
            private int _nextToFold;
            private bool _folding;
            private int _unfinished = 1; // the starting loop, then each running branch
            private Exception? _nodeFailure;

            public ParallelRun(ParallelNode node, AgnoSession context, NodeRecord record, RunEnvironment environment)
            {
                _node = node;
                _context = context;
                _record = record;
                _environment = environment;
                _origin = context.State.Snapshot();
                _merger = new StateMerger(node.Name, _origin, node.MergePolicy ?? context.MergePolicy);
                _observer = environment.Observer as IBranchObserver;
                // A fed node's branches write their output down the pipeline; holding every item's output would hold the whole stream.
                _outputs = node.Feed == null ? new List<object?>() : null;
            }

            private sealed class Finished
            {
                public Finished(WorkflowNode branch, NodeRecord record, AgnoSession? own, Exception? error)
                {
                    Branch = branch;
                    Record = record;
                    Own = own;
                    Error = error;
                }

                public WorkflowNode Branch { get; }
                public NodeRecord Record { get; }
                public AgnoSession? Own { get; set; }
                public Exception? Error { get; }
            }

            public async Task RunAsync(CancellationToken cancellationToken)
            {
                var node = _node;
                int count = node.Feed == null ? node._branches.Count : int.MaxValue;
                using var siblings = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                _siblings = siblings;
                _mergeToken = cancellationToken;
                using var throttle = node._throttleLimit is int limit && limit < count ? new SemaphoreSlim(limit) : null;
                using var window = new SemaphoreSlim(OrderWindow);
                // Every given branch gets its record up front, so a stopped run shows what never ran (Pending).
                var given = node.Feed == null ? node._branches.Select(b => _record.AddChild(b.Name, Kind(b))).ToList() : null;
                var names = node.Feed == null ? null : new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                try
                {
                    for (int index = 0; index < count; index++)
                    {
                        if (throttle != null) await throttle.WaitAsync(siblings.Token).ConfigureAwait(false);
                        bool started = false;
                        try
                        {
                            // A step asked to end the run (Stop-AgnoWorkflow): branches running finish and merge; no more start.
                            if (_environment.Stop.Requested) break;
                            await window.WaitAsync(siblings.Token).ConfigureAwait(false);
                            var branch = node.Feed == null ? node._branches[index] : await node.Feed.TakeAsync(siblings.Token).ConfigureAwait(false);
                            if (branch == null) break;
                            if (names != null && !names.Add(branch.Name))
                            {
                                throw new ArgumentException($"Parallel '{node.Name}' already has a branch named '{branch.Name}'; give each branch a distinct name.");
                            }
                            var branchRecord = given?[index] ?? _record.AddChild(branch.Name, Kind(branch));
                            Interlocked.Increment(ref _unfinished);
                            started = true;
                            int i = index;
                            _ = Task.Run(() => RunBranchAsync(i, branch, branchRecord, throttle, window));
                        }
                        finally
                        {
                            if (!started) throttle?.Release();
                        }
                    }
                }
                catch (OperationCanceledException) when (siblings.IsCancellationRequested)
                {
                    // a branch failed under Stop, or the node was stopped: start no more
                }
                catch (ArgumentException e)
                {
                    Fail(e);
                }
                finally
                {
                    node.Feed?.Close();
                    if (Interlocked.Decrement(ref _unfinished) == 0) _allDone.TrySetResult(true);
                }
                await _allDone.Task.ConfigureAwait(false);
                foreach (var r in given ?? Enumerable.Empty<NodeRecord>())
                {
                    if (r.Status == NodeStatus.Pending) r.Finish(_environment.Stop.Requested ? NodeStatus.Skipped : NodeStatus.Cancelled);
                }
                cancellationToken.ThrowIfCancellationRequested();
                Complete(cancellationToken);
            }

            private static NodeKind Kind(WorkflowNode branch) => branch.Next != null ? NodeKind.Sequence : branch.Kind;

            private async Task RunBranchAsync(int index, WorkflowNode branch, NodeRecord record, SemaphoreSlim? throttle, SemaphoreSlim window)
            {
                Finished finished;
                try
                {
                    var chain = branch.Chain();
                    var own = await Retrying.RunAsync(_node.BranchRetry, record, async attempt =>
                    {
                        if (attempt > 1) record.ResetForRetry();
                        var session = _context.ForNode(AgnoState.ForkOf(_origin), branch.Name);
                        session.RunStop = _environment.Stop;
                        await Sequence.RunChainAsync(chain, session, record, _environment, _siblings.Token).ConfigureAwait(false);
                        return session;
                    }, failure => failure, _siblings.Token).ConfigureAwait(false);
                    finished = new Finished(branch, record, own, null);
                }
                catch (OperationCanceledException) when (_siblings.IsCancellationRequested)
                {
                    // Also a branch stopped while it waited to retry: it ends cancelled, not failed.
                    if (record.Status != NodeStatus.Cancelled) record.Finish(NodeStatus.Cancelled);
                    finished = new Finished(branch, record, null, null);
                }
                catch (Exception e)
                {
                    if (_node.ErrorPolicy == ErrorPolicy.Stop) _siblings.Cancel();
                    finished = new Finished(branch, record, null, e);
                }
                finally
                {
                    throttle?.Release();
                }
                try
                {
                    Settle(index, finished, window);
                }
                finally
                {
                    if (Interlocked.Decrement(ref _unfinished) == 0) _allDone.TrySetResult(true);
                }
            }

            /// <summary>
            /// Records a finished branch and folds every branch whose turn has come, in order. One thread folds at
            /// a time; the others leave their branch for it, so a slow reducer never holds a finishing branch.
            /// </summary>
            private void Settle(int index, Finished finished, SemaphoreSlim window)
            {
                lock (_gate)
                {
                    _finished[index] = finished;
                    if (_folding) return;
                    _folding = true;
                }
                while (true)
                {
                    Finished next;
                    int at;
                    lock (_gate)
                    {
                        if (!_finished.TryGetValue(_nextToFold, out next!))
                        {
                            _folding = false;
                            return;
                        }
                        _finished.Remove(_nextToFold);
                        at = _nextToFold++;
                    }
                    Fold(at, next);
                    window.Release();
                }
            }

            private void Fold(int index, Finished branch)
            {
                try
                {
                    FoldOrRecord(index, branch);
                }
                catch (Exception e)
                {
                    Fail(e);
                }
                branch.Own = null; // its copy of the state is no longer needed
                try
                {
                    _observer?.BranchSettled(_record, index, branch.Record);
                }
                catch (Exception e)
                {
                    Fail(e);
                }
            }

            private void FoldOrRecord(int index, Finished branch)
            {
                if (branch.Error != null)
                {
                    _failures.Add(new BranchFailure(index, branch.Branch.Name, branch.Error));
                }
                else if (branch.Own != null && _nodeFailure == null && !_siblings.IsCancellationRequested)
                {
                    _merger.Add(new BranchDelta(branch.Branch.Name, branch.Own.State.GetDelta()), _mergeToken);
                    _outputs?.Add(branch.Own.Output);
                    // A fed node keeps the records of the items that did not complete; the others' changes are in its own.
                    if (_node.Feed != null) _record.RemoveChild(branch.Record);
                }
            }

            /// <summary>The node itself failed (a merge failed, a branch was refused): nothing will be merged.</summary>
            private void Fail(Exception e)
            {
                lock (_gate) _nodeFailure ??= e;
                _siblings.Cancel();
            }

            private void Complete(CancellationToken cancellationToken)
            {
                if (_nodeFailure is MergeConflictException conflict) _record.Conflicts = conflict.Conflicts;
                if (_nodeFailure != null && !(_nodeFailure is OperationCanceledException)) throw _nodeFailure;
                cancellationToken.ThrowIfCancellationRequested();
                if (_failures.Count > 0 && _node.ErrorPolicy == ErrorPolicy.Stop)
                {
                    throw new ParallelFailedException(_node.Name, _failures);
                }
                MergeResult merge;
                try
                {
                    merge = _merger.Complete(cancellationToken);
                }
                catch (MergeConflictException e)
                {
                    _record.Conflicts = e.Conflicts; // recorded whatever the strategy, even when the merge fails
                    throw;
                }
                cancellationToken.ThrowIfCancellationRequested(); // a stop or timeout during the merge leaves the state as it was
                _environment.Commit(_context, _record, merge.Delta.WithBase(_origin));
                _context.Output = _outputs?.ToArray();
                _record.KeysChanged = merge.Delta.Changes.Select(c => c.Key).ToList();
                _record.Conflicts = merge.Conflicts;
                if (_failures.Count > 0) _record.Finish(NodeStatus.CompletedWithErrors);
            }
        }
    }
}
