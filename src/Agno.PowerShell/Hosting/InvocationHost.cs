using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Threading;
using System.Threading.Tasks;
using Agno.Commands;
using Agno.Core;

namespace Agno.Hosting
{
    /// <summary>
    /// One invocation of Invoke-AgnoWorkflow or Invoke-AgnoParallel: the engine runs on worker threads;
    /// steps run through an <see cref="IStepInvoker"/> chosen by the step's target (another host or
    /// process) or isolation, else the invocation's isolation; everything that must
    /// happen on the caller's pipeline thread is posted to the <see cref="PipelineQueue"/>, which the
    /// cmdlet pumps until the run and every step it started have finished.
    /// </summary>
    internal sealed class InvocationHost : IRunObserver, IBranchObserver, IDisposable
    {
        private static readonly AsyncLocal<InvocationHost?> CurrentHost = new AsyncLocal<InvocationHost?>();

        /// <summary>How long to wait for stopped steps to wind down after the engine has finished.</summary>
        private static readonly TimeSpan WindDown = TimeSpan.FromSeconds(10);

        private readonly PSCmdlet _cmdlet;
        private readonly PipelineQueue _queue = new PipelineQueue();
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private readonly RunProgress? _progress;
        private readonly StepIsolation _isolation;
        private readonly IStepInvoker _runspace;
        private readonly IStepInvoker _inline;
        private readonly IStepInvoker _remote;
        private readonly StepStreams _streams;
        private readonly ItemWorkers _items;

        /// <param name="ordered">Write each pipeline branch's output in input order (-Ordered), not as it comes.</param>
        public InvocationHost(PSCmdlet cmdlet, StepIsolation isolation, WorkflowNode node, bool ordered = false)
        {
            _cmdlet = cmdlet;
            _isolation = isolation;
            var caller = CallerContext.Capture(cmdlet);
            if (caller.Progress != ActionPreference.SilentlyContinue && caller.Progress != ActionPreference.Ignore)
            {
                var feed = (node as ParallelNode)?.Feed;
                _progress = new RunProgress(WriteProgressSafely, $"{cmdlet.MyInvocation.MyCommand.Name} '{node.Name}'", CountSteps(node),
                    feed == null ? (Func<int>?)null : () => feed.Added);
            }
            var streams = _streams = new StepStreams(cmdlet, _queue, _progress, ordered ? new OrderedOutput() : null);
            // One invoker per way of running a script; a step's own isolation or target picks among them.
            _runspace = new RunspaceStepInvoker(caller, streams);
            _inline = new InlineStepInvoker(caller, streams, _queue, Runspace.DefaultRunspace);
            _remote = new RemoteStepInvoker(caller, streams);
            _items = new ItemWorkers(caller, streams);
        }

        /// <summary>The invocation whose engine code is running on this logical thread.</summary>
        public static InvocationHost? Current => CurrentHost.Value;

        /// <summary>The first exception a write on the pipeline thread threw (e.g. -ErrorAction Stop), which ended the run.</summary>
        public Exception? WriteFailure { get; private set; }

        public bool Stopping => _stop.IsCancellationRequested;

        /// <summary>Starts the engine's work on a worker thread, with this host as the current one.</summary>
        public Task<T> Start<T>(Func<CancellationToken, Task<T>> work)
        {
            _queue.Enter();
            var run = Task.Run(async () =>
            {
                CurrentHost.Value = this;
                return await work(_stop.Token).ConfigureAwait(false);
            });
            // Left once the task itself has completed, so the pump never ends before the run does.
            run.ContinueWith(_ => _queue.Exit(), TaskContinuationOptions.ExecuteSynchronously);
            return run;
        }

        /// <summary>Stops every running step (StopProcessing, or a failed write).</summary>
        public void Stop() => _stop.Cancel();

        /// <summary>Does the queued work on the calling (pipeline) thread until the run and its steps are done.</summary>
        public void Pump(Task engine)
        {
            _queue.Pump(engine, WindDown, () => _progress?.Refresh(), e =>
            {
                WriteFailure ??= e;
                Stop();
            });
            if (WriteFailure == null) _progress?.Complete();
        }

        /// <summary>Does the queued work on the pipeline thread until <paramref name="done"/> completes or the run has ended.</summary>
        public void PumpUntil(Task done)
        {
            _queue.PumpUntil(done, () => _progress?.Refresh(), e =>
            {
                WriteFailure ??= e;
                Stop();
            });
        }

        /// <summary>
        /// Runs a step's script for <paramref name="own"/> (the step's session), with $_ the <paramref name="item"/>
        /// it runs for, if any: at <paramref name="target"/> when it has one, else as its own
        /// <paramref name="isolation"/> or the invocation's says.
        /// </summary>
        public async Task RunStepAsync(StepScript script, AgnoSession own, StepItem? item, StepIsolation? isolation, RemoteTarget? target, CancellationToken cancellationToken)
        {
            _queue.Enter();
            try
            {
                var request = new StepRequest(script, own, own.NodeName ?? "step", item: item, target: target);
                var invoker = target != null ? _remote : InvokerFor(isolation ?? _isolation);
                // A pipeline form's items that run in runspaces here run on workers that take item after item (see ItemWorkers).
                var output = await (item != null && invoker == _runspace
                    ? _items.RunAsync(request, cancellationToken)
                    : invoker.InvokeAsync(request, cancellationToken)).ConfigureAwait(false);
                own.Output = output.Count switch { 0 => null, 1 => output[0], _ => output.ToArray() };
            }
            finally
            {
                _queue.Exit();
            }
        }

        /// <summary>Runs a control-flow node's question (a condition, a selector) for <paramref name="own"/>, as a step is run, and returns what it wrote.</summary>
        public async Task<IList<object?>> RunQuestionAsync(StepScript script, AgnoSession own, CancellationToken cancellationToken)
        {
            _queue.Enter();
            try
            {
                return await InvokerFor(_isolation).InvokeAsync(new StepRequest(script, own, own.NodeName ?? "condition", forwardsOutput: false), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _queue.Exit();
            }
        }

        /// <summary>Runs a reducer scriptblock with (base, current, incoming) and returns what it wrote.</summary>
        public object? RunReducer(StepScript script, string key, object? baseValue, object? current, object? incoming, CancellationToken cancellationToken)
        {
            _queue.Enter();
            try
            {
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, cancellationToken);
                var output = InvokerFor(_isolation).Invoke(new StepRequest(script, null, $"reducer '{key}'", new[] { baseValue, current, incoming }), stop.Token);
                return output.Count == 1 ? output[0] : output.ToArray();
            }
            finally
            {
                _queue.Exit();
            }
        }

        /// <summary>The invoker of an isolation: under Process, a child process of the default <see cref="ProcessTarget"/>.</summary>
        private IStepInvoker InvokerFor(StepIsolation isolation) => isolation switch
        {
            StepIsolation.Inline => _inline,
            StepIsolation.Process => _remote,
            _ => _runspace,
        };

        void IRunObserver.NodeStarted(NodeRecord node)
        {
            if (node.Kind == NodeKind.Step) _progress?.StepStarted(node);
        }

        void IRunObserver.NodeFinished(NodeRecord node)
        {
            if (node.Kind == NodeKind.Step) _progress?.StepFinished(node);
        }

        void IBranchObserver.BranchSettled(NodeRecord parallel, int index, NodeRecord branch)
        {
            if (parallel.Parent != null) return; // a nested node's branches are not the invocation's items
            _streams.Release(index);
            _progress?.ItemDone();
        }

        private void WriteProgressSafely(ProgressRecord record)
        {
            if (!Stopping) _cmdlet.WriteProgress(record);
        }

        private static int CountSteps(WorkflowNode node)
        {
            int count = 0;
            foreach (var n in node.Chain())
            {
                count += n switch
                {
                    Step _ => 1,
                    ParallelNode p => p.Branches.Sum(CountSteps),
                    Workflow w => w.Steps.Sum(CountSteps),
                    ConditionNode c => Math.Max(c.ThenNodes.Sum(CountSteps), c.ElseNodes.Sum(CountSteps)),
                    LoopNode l => l.Steps.Sum(CountSteps),
                    RouterNode r => r.Routes.Sum(route => route.Value.Sum(CountSteps)),
                    _ => 0,
                };
            }
            return count;
        }

        // The stop source is not disposed: a StopProcessing racing the end of the invocation may still cancel it.
        public void Dispose()
        {
            _items.Close(WindDown);
            _queue.Dispose();
        }
    }
}
