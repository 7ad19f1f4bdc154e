using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Agno.Core
{
    /// <summary>
    /// A named unit of work. Its body runs on its own fork of the state (the session it is given);
    /// when the body completes, the fork's changes are committed at once; when it throws, they are
    /// discarded. A step is atomic.
    /// </summary>
    public sealed class Step : WorkflowNode
    {
        private readonly Func<AgnoSession, CancellationToken, Task> _body;

        public Step(string name, Func<AgnoSession, CancellationToken, Task> body) : base(name)
        {
            _body = body ?? throw new ArgumentNullException(nameof(body));
        }

        /// <summary>A step with a synchronous body.</summary>
        public Step(string name, Action<AgnoSession> body)
            : this(name, (session, _) => Task.Run(() => body(session)))
        {
            if (body == null) throw new ArgumentNullException(nameof(body));
        }

        public override NodeKind Kind => NodeKind.Step;

        /// <summary>
        /// Where the body runs when not in this process (<c>on host 'web1'</c>, <c>in a child process</c>), for
        /// the step's failure and timeout messages; null for a step that runs here.
        /// </summary>
        public string? Location { get; set; }

        internal override string? Where => Location;

        internal override async Task RunCoreAsync(AgnoSession context, NodeRecord record, RunEnvironment environment, CancellationToken cancellationToken)
        {
            var fork = context.State.Fork();
            var own = context.ForNode(fork, Name);
            try
            {
                await UntilDoneOrCancelled(StartBody(own, cancellationToken), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                throw new StepFailedException(Name, e, Location);
            }

            var delta = fork.GetDelta();
            context.State.Apply(delta, environment.CheckpointFor(record));
            context.Output = own.Output;
            record.KeysChanged = delta.Changes.Select(c => c.Key).ToList();
        }

        private Task StartBody(AgnoSession own, CancellationToken cancellationToken)
        {
            try
            {
                return _body(own, cancellationToken) ?? Task.CompletedTask;
            }
            catch (Exception e)
            {
                return Task.FromException(e);
            }
        }

        /// <summary>
        /// Waits for the body, but stops waiting as soon as cancellation is requested, so that a body
        /// that ignores its token cannot hold the run past a timeout or a stop.
        /// </summary>
        private static async Task UntilDoneOrCancelled(Task body, CancellationToken cancellationToken)
        {
            if (!body.IsCompleted && cancellationToken.CanBeCanceled)
            {
                var cancelled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                using (cancellationToken.Register(() => cancelled.TrySetResult(true)))
                {
                    if (await Task.WhenAny(body, cancelled.Task).ConfigureAwait(false) != body)
                    {
                        _ = body.ContinueWith(t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
                        cancellationToken.ThrowIfCancellationRequested();
                    }
                }
            }
            await body.ConfigureAwait(false);
        }
    }
}
