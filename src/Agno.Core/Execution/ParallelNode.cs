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
    /// </summary>
    public sealed class ParallelNode : WorkflowNode
    {
        private readonly List<WorkflowNode> _branches = new List<WorkflowNode>();
        private int? _throttleLimit;

        public ParallelNode(string name) : base(name) { }

        public override NodeKind Kind => NodeKind.Parallel;
        public IReadOnlyList<WorkflowNode> Branches => _branches;
        /// <summary>How the branches merge; null (the default) uses the session's rules (<see cref="AgnoSession.MergePolicy"/>).</summary>
        public MergePolicy? MergePolicy { get; set; }
        public ErrorPolicy ErrorPolicy { get; set; } = ErrorPolicy.Stop;

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
            if (_branches.Any(b => string.Equals(b.Name, node.Name, StringComparison.OrdinalIgnoreCase)))
            {
                throw new ArgumentException($"Parallel '{Name}' already has a branch named '{node.Name}'; give each branch a distinct name.", nameof(node));
            }
            _branches.Add(node);
            return this;
        }

        internal override async Task RunCoreAsync(AgnoSession context, NodeRecord record, RunEnvironment environment, CancellationToken cancellationToken)
        {
            var origin = context.State.Snapshot();
            int count = _branches.Count;
            var chains = _branches.Select(b => b.Chain()).ToList();
            var records = chains.Select(c => record.AddChild(c[0].Name, c.Count > 1 ? NodeKind.Sequence : c[0].Kind)).ToList();
            var sessions = new AgnoSession?[count];
            var failures = new Exception?[count];

            using var siblings = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var throttle = _throttleLimit is int limit && limit < count ? new SemaphoreSlim(limit) : null;

            async Task RunBranchAsync(int i)
            {
                bool entered = false;
                try
                {
                    if (throttle != null)
                    {
                        await throttle.WaitAsync(siblings.Token).ConfigureAwait(false);
                        entered = true;
                    }
                    var own = context.ForNode(AgnoState.ForkOf(origin), chains[i][0].Name);
                    own.RunStop = environment.Stop;
                    await Sequence.RunChainAsync(chains[i], own, records[i], environment, siblings.Token).ConfigureAwait(false);
                    sessions[i] = own;
                }
                catch (OperationCanceledException) when (siblings.IsCancellationRequested)
                {
                    if (records[i].Status == NodeStatus.Pending) records[i].Finish(NodeStatus.Cancelled);
                }
                catch (Exception e)
                {
                    failures[i] = e;
                    if (ErrorPolicy == ErrorPolicy.Stop) siblings.Cancel();
                }
                finally
                {
                    if (entered) throttle!.Release();
                }
            }

            await Task.WhenAll(Enumerable.Range(0, count).Select(i => Task.Run(() => RunBranchAsync(i)))).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();

            var failed = failures.Select((e, i) => e == null ? null : new BranchFailure(i, chains[i][0].Name, e)).Where(f => f != null).ToList();
            if (failed.Count > 0 && ErrorPolicy == ErrorPolicy.Stop)
            {
                throw new ParallelFailedException(Name, failed!);
            }

            var completed = Enumerable.Range(0, count).Where(i => sessions[i] != null).ToList();
            MergeResult merge;
            try
            {
                merge = StateMerger.Merge(Name, origin,
                    completed.Select(i => new BranchDelta(chains[i][0].Name, sessions[i]!.State.GetDelta())).ToList(), MergePolicy ?? context.MergePolicy, cancellationToken);
            }
            catch (MergeConflictException conflict)
            {
                record.Conflicts = conflict.Conflicts; // recorded whatever the strategy, even when the merge fails
                throw;
            }
            cancellationToken.ThrowIfCancellationRequested(); // a stop or timeout during the merge leaves the state as it was
            environment.Commit(context, record, merge.Delta.WithBase(origin));
            context.Output = completed.Select(i => sessions[i]!.Output).ToArray();
            record.KeysChanged = merge.Delta.Changes.Select(c => c.Key).ToList();
            record.Conflicts = merge.Conflicts;
            if (failed.Count > 0) record.Finish(NodeStatus.CompletedWithErrors);
        }
    }
}
