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

        /// <summary>A step named <paramref name="name"/> whose <paramref name="body"/> is given the step's session (on its own fork of the state) and a token cancelled when the step times out or the run is stopped.</summary>
        /// <exception cref="ArgumentException"><paramref name="name"/> is null, empty or white space.</exception>
        /// <exception cref="ArgumentNullException"><paramref name="body"/> is null.</exception>
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

        /// <inheritdoc/>
        public override NodeKind Kind => NodeKind.Step;

        /// <summary>
        /// Where the body runs when not in this process (<c>on host 'web1'</c>, <c>in a child process</c>), for
        /// the step's failure and timeout messages; null for a step that runs here.
        /// </summary>
        public string? Location { get; set; }

        internal override string? Where => Location;

        /// <summary>When a failed body runs again (null: never). Each attempt gets a fresh copy of the same state.</summary>
        public RetryPolicy? Retry { get; set; }

        /// <summary>The item the step runs for, when it is one branch per item of a pipeline: its errors name it.</summary>
        public object? Item { get; set; }

        internal override async Task RunCoreAsync(AgnoSession context, NodeRecord record, RunEnvironment environment, CancellationToken cancellationToken)
        {
            var (fork, own) = await Retrying.RunAsync(Retry, record, _ => RunBodyAsync(context, environment, cancellationToken),
                failure => failure.InnerException ?? failure, cancellationToken).ConfigureAwait(false);

            var delta = fork.GetDelta();
            environment.Commit(context, record, delta);
            context.Output = own.Output;
            record.KeysChanged = delta.Changes.Select(c => c.Key).ToList();
        }

        /// <summary>One attempt: the body on a fresh fork of <paramref name="context"/>'s state; its fork and session when it completes.</summary>
        private async Task<(AgnoState Fork, AgnoSession Own)> RunBodyAsync(AgnoSession context, RunEnvironment environment, CancellationToken cancellationToken)
        {
            var fork = context.State.Fork();
            var own = context.ForNode(fork, Name);
            own.RunStop = environment.Stop;
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
                throw new StepFailedException(Name, e, Item, Location);
            }
            return (fork, own);
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
