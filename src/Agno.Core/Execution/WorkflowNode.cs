using System;
using System.Threading;
using System.Threading.Tasks;

namespace Agno.Core
{
    /// <summary>
    /// Something a workflow runs: a <see cref="Step"/>, a <see cref="ParallelNode"/>, a <see cref="Workflow"/>, or a
    /// control-flow node (<see cref="ConditionNode"/>, <see cref="LoopNode"/>, <see cref="RouterNode"/>).
    /// Every node commits its changes into the state it is given only when it completes.
    /// </summary>
    public abstract class WorkflowNode
    {
        /// <summary>A node named <paramref name="name"/>: records, errors and a resume identify nodes by name.</summary>
        /// <exception cref="ArgumentException"><paramref name="name"/> is null, empty or white space.</exception>
        protected WorkflowNode(string name)
        {
            if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("A node needs a name that is not empty.", nameof(name));
            Name = name;
        }

        /// <summary>The node's name, as records, errors and a resume give it.</summary>
        public string Name { get; }

        /// <summary>What kind of node this is.</summary>
        public abstract NodeKind Kind { get; }

        /// <summary>What the node does, in a line or a script, for display.</summary>
        public string? Description { get; set; }

        /// <summary>The node that runs after this one completes (set with <see cref="Then"/>).</summary>
        public WorkflowNode? Next { get; private set; }

        /// <summary>Runs <paramref name="next"/> after this node; returns <paramref name="next"/>, so that a.Then(b).Then(c) chains.</summary>
        public WorkflowNode Then(WorkflowNode next)
        {
            if (next == null) throw new ArgumentNullException(nameof(next));
            var previous = Next;
            Next = next;
            try
            {
                Chain(); // refuses a loop now rather than at run time
            }
            catch (InvalidOperationException)
            {
                Next = previous;
                throw;
            }
            return next;
        }

        /// <summary>This node and those chained after it with Then, in order.</summary>
        public System.Collections.Generic.IReadOnlyList<WorkflowNode> Chain()
        {
            var chain = new System.Collections.Generic.List<WorkflowNode>();
            for (var node = this; node != null; node = node.Next)
            {
                if (chain.Contains(node))
                {
                    throw new InvalidOperationException($"'{node.Name}' is chained after itself (a loop of Then); a chain must end.");
                }
                chain.Add(node);
            }
            return chain;
        }

        /// <summary>How long the node may run; past that it is cancelled and fails with <see cref="TimedOutException"/>.</summary>
        public TimeSpan? Timeout
        {
            get => _timeout;
            set
            {
                if (value.HasValue && value.Value <= TimeSpan.Zero)
                {
                    throw new ArgumentOutOfRangeException(nameof(value), value, $"The timeout of '{Name}' must be positive.");
                }
                _timeout = value;
            }
        }
        private TimeSpan? _timeout;

        /// <summary>
        /// Runs this node on <paramref name="session"/> as one run: the session's state is updated in
        /// place and the run is added to its history. Throws an <see cref="AgnoException"/> (carrying
        /// the run record) when the run fails, and <see cref="OperationCanceledException"/> when it is stopped.
        /// </summary>
        public async Task<RunRecord> ExecuteAsync(AgnoSession session, CancellationToken cancellationToken = default, RunOptions? options = null)
        {
            if (session == null) throw new ArgumentNullException(nameof(session));
            var chain = Chain();
            var root = new NodeRecord(Name, chain.Count > 1 ? NodeKind.Sequence : Kind, null);
            var journal = session.Journal;
            // A stored session resumes from its store (what any process ran), one in memory from its own history.
            var resume = options?.Resume != true ? null : journal != null ? journal.FindUnfinishedRun(Name) : session.UnfinishedRun(Name);
            var run = new RunRecord(root, session.SessionId, resume?.RunId ?? Guid.NewGuid(), isResumed: resume != null);
            var environment = new RunEnvironment(options?.Observer, run, resume?.Completed, session.State);
            using var runTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (options?.Timeout is TimeSpan limit) runTimeout.CancelAfter(limit);
            try
            {
                await Sequence.RunChainAsync(chain, session, root, environment, runTimeout.Token).ConfigureAwait(false);
                // A run whose root is not a sequence (a parallel node) ends with it, stopped or not.
                if (environment.Stop.Requested) Stopped();
                return run;
            }
            catch (RunStoppedException)
            {
                Stopped();
                return run;
            }
            catch (OperationCanceledException) when (runTimeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                var timedOut = new TimedOutException(Name, options!.Timeout!.Value, wholeRun: true) { Run = run };
                root.Finish(NodeStatus.TimedOut, timedOut);
                throw timedOut;
            }
            catch (Exception failure)
            {
                if (root.Status == NodeStatus.Running) root.Finish(failure is OperationCanceledException ? NodeStatus.Cancelled : NodeStatus.Failed, failure);
                if (failure is AgnoException agno) agno.Run ??= run;
                throw;
            }
            finally
            {
                session.AddRun(run);
                try
                {
                    journal?.RunFinished(run);
                }
                catch (Exception) when (root.Status != NodeStatus.Completed && root.Status != NodeStatus.CompletedWithErrors)
                {
                    // The run's own failure is the one to report; the run stays unfinished in the store, as it is.
                }
            }

            // Ended early by a step, successfully: the reason goes on the record.
            void Stopped()
            {
                root.Finish(NodeStatus.Stopped);
                root.Note = environment.Stop.Reason ?? "A step stopped the run.";
            }
        }

        /// <summary>Runs the node with its record, timeout and observer: the one wrapper every node runs in.</summary>
        internal async Task RunNodeAsync(AgnoSession context, NodeRecord record, RunEnvironment environment, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            record.Start();
            environment.Observer?.NodeStarted(record);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (Timeout is TimeSpan limit) timeout.CancelAfter(limit);
            try
            {
                await RunCoreAsync(context, record, environment, timeout.Token).ConfigureAwait(false);
                if (record.Status == NodeStatus.Running) record.Finish(NodeStatus.Completed);
            }
            catch (RunStoppedException)
            {
                record.Finish(NodeStatus.Stopped);
                throw;
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                var timedOut = new TimedOutException(Name, Timeout!.Value, location: Where);
                record.Finish(NodeStatus.TimedOut, timedOut);
                throw timedOut;
            }
            catch (OperationCanceledException e)
            {
                record.Finish(NodeStatus.Cancelled, e);
                throw;
            }
            catch (Exception e)
            {
                record.Finish(e is TimedOutException ? NodeStatus.TimedOut : NodeStatus.Failed, e);
                throw;
            }
            finally
            {
                environment.Observer?.NodeFinished(record);
            }
        }

        /// <summary>Where the node runs when not in this process (a remote step's host), for its messages.</summary>
        internal virtual string? Where => null;

        /// <summary>Does the node's work on <paramref name="context"/>, committing into its state on success.</summary>
        internal abstract Task RunCoreAsync(AgnoSession context, NodeRecord record, RunEnvironment environment, CancellationToken cancellationToken);

        /// <summary>Kind and name, for display.</summary>
        public override string ToString() => $"{Kind} '{Name}'";
    }
}
