using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Remoting;
using System.Management.Automation.Runspaces;
using System.Threading;
using System.Threading.Tasks;
using Agno.Commands;
using Agno.Core;

namespace Agno.Hosting
{
    /// <summary>
    /// Runs each script in another process, over PowerShell remoting: on a host over SSH, in a user's
    /// PSSession, or in a child pwsh (<see cref="RemoteTarget"/>). The step gets a typed copy of its
    /// session and state (<see cref="RemoteStepProtocol"/>); its records come back tagged
    /// <c>[step@host]</c>; when it completes, what it changed comes back and is applied to the step's own
    /// state, which the engine then merges as any step's (and its Stop-AgnoWorkflow stops the run here). A step that fails, is stopped or loses its
    /// connection brings nothing back.
    /// </summary>
    internal sealed class RemoteStepInvoker : IStepInvoker
    {
        /// <summary>How long a stopped pipeline may take to end before its far side is ended (the ssh client, the child process).</summary>
        internal static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(2);

        private readonly CallerContext _caller;
        private readonly StepStreams _streams;

        public RemoteStepInvoker(CallerContext caller, StepStreams streams)
        {
            _caller = caller;
            _streams = streams;
        }

        public async Task<IList<object?>> InvokeAsync(StepRequest request, CancellationToken cancellationToken)
        {
            var target = request.Target ?? ProcessTarget.Default;
            // Encoded before connecting: a value that cannot be sent fails the step at once.
            var payload = RemoteStepProtocol.EncodeRequest(request, _caller, target);
            var connection = await target.AcquireAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (!RemoteBootstrap.HasEngine(connection.Runspace)) await LoadEngineAsync(connection, cancellationToken).ConfigureAwait(false);
                var output = new RemoteStepOutput();
                var label = request.Label + "@" + target.HostLabel;
                var ps = System.Management.Automation.PowerShell.Create();
                ps.Runspace = connection.Runspace;
                ps.AddScript(RemoteBootstrap.StepScript).AddParameter("AgnoRequest", payload).AddParameter("AgnoResultTag", output.Tag);
                _streams.Attach(ps, request, label, output, separateStreams: true);
                await RunAsync(ps, output.Collection, connection, cancellationToken).ConfigureAwait(false);
                if (!output.EndReached) throw StepOutput.CalledExit(label);
                var (delta, stopped, stopReason) = RemoteStepProtocol.DecodeResult(output.Result!);
                request.Session?.State.Apply(delta);
                if (stopped) request.Session?.StopRun(stopReason);
                return output.Results;
            }
            finally
            {
                target.Release(connection);
            }
        }

        /// <summary>Runs a reducer (under -Isolation Process) and waits for it; merges call reducers from a worker thread.</summary>
        public IList<object?> Invoke(StepRequest request, CancellationToken cancellationToken) =>
            InvokeAsync(request, cancellationToken).GetAwaiter().GetResult();

        /// <summary>Brings the engine to the connection's process (its first step there).</summary>
        private static async Task LoadEngineAsync(RemoteConnection connection, CancellationToken cancellationToken)
        {
            var (core, module, build, version) = RemoteBootstrap.LoadArguments();
            var ps = System.Management.Automation.PowerShell.Create();
            ps.Runspace = connection.Runspace;
            ps.AddScript(RemoteBootstrap.LoadScript).AddParameter("AgnoCore", core).AddParameter("AgnoModule", module)
                .AddParameter("AgnoBuild", build).AddParameter("AgnoVersion", version);
            try
            {
                await RunAsync(ps, new PSDataCollection<PSObject>(), connection, cancellationToken).ConfigureAwait(false);
            }
            catch (RemoteException e)
            {
                throw new AgnoCommandException("AgnoRemoteEngineFailed", $"Agno's engine could not be loaded there: {e.Message}", AgnoErrorKind.ResourceUnavailable, null, e);
            }
            RemoteBootstrap.EngineLoaded(connection.Runspace);
        }

        /// <summary>
        /// Runs the pipeline until it ends, its far side is lost, or it is cancelled. A cancelled pipeline
        /// is stopped; one that does not end within <see cref="StopGrace"/> has its far side ended, when the
        /// connection is ours to end, and its connection is not reused.
        /// </summary>
        private static async Task RunAsync(System.Management.Automation.PowerShell ps, PSDataCollection<PSObject> output, RemoteConnection connection, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Task invocation;
            try
            {
                invocation = Task.Factory.FromAsync(ps.BeginInvoke<PSObject, PSObject>(null, output, connection.Settings, null, null), ps.EndInvoke);
            }
            catch (Exception e) when (!(e is RemoteException))
            {
                ps.Dispose();
                throw ConnectionLost(connection, e);
            }
            // Disposed when it has really ended, which for a pipeline left running may be later than this step.
            _ = invocation.ContinueWith(t => { _ = t.Exception; ps.Dispose(); }, TaskContinuationOptions.ExecuteSynchronously);

            var cancelled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            using (cancellationToken.Register(() => cancelled.TrySetResult(true)))
            {
                var first = await Task.WhenAny(invocation, connection.Lost, cancelled.Task).ConfigureAwait(false);
                if (first == connection.Lost)
                {
                    connection.Spoil();
                    throw await connection.Lost.ConfigureAwait(false);
                }
                if (first == cancelled.Task)
                {
                    await StopAsync(ps, invocation, connection).ConfigureAwait(false);
                    throw new OperationCanceledException(cancellationToken);
                }
            }
            try
            {
                await invocation.ConfigureAwait(false);
            }
            catch (Exception e) when (!(e is RemoteException) && (e is PSRemotingTransportException || connection.Runspace.RunspaceStateInfo.State != RunspaceState.Opened))
            {
                throw ConnectionLost(connection, e);
            }
        }

        private static async Task StopAsync(System.Management.Automation.PowerShell ps, Task invocation, RemoteConnection connection)
        {
            try
            {
                ps.BeginStop(null, null);
            }
            catch (Exception e) when (e is InvalidOperationException || e is ObjectDisposedException)
            {
                return; // it ended meanwhile
            }
            if (await Task.WhenAny(invocation, Task.Delay(StopGrace)).ConfigureAwait(false) == invocation) return;
            // The far side did not yield (a blocking call, a frozen process): end it, or for a user's
            // session, leave it to finish its stop; either way this connection is done for now.
            connection.Spoil();
            if (connection.Kill()) await Task.WhenAny(invocation, Task.Delay(StopGrace)).ConfigureAwait(false);
        }

        private static Exception ConnectionLost(RemoteConnection connection, Exception e)
        {
            connection.Spoil();
            if (connection.Lost.IsCompleted) return connection.Lost.Result;
            return new AgnoCommandException("AgnoRemoteConnectionLost",
                $"the connection was lost while it ran ({e.Message}). Nothing the step changed was kept.", AgnoErrorKind.ResourceUnavailable, null, e);
        }

        /// <summary>A remote step's output: its end is the last line the far side writes, the delta after a tag no step can write by chance.</summary>
        private sealed class RemoteStepOutput : StepOutput
        {
            private volatile string? _result;

            public string Tag { get; } = "agno-result-" + Guid.NewGuid().ToString("N") + ":";

            /// <summary>The encoded delta, once the end was reached.</summary>
            public string? Result => _result;

            public override bool TakeEnd(object? item)
            {
                if (!(item is string s) || !s.StartsWith(Tag, StringComparison.Ordinal)) return false;
                _result = s.Substring(Tag.Length);
                EndReached = true;
                return true;
            }
        }
    }
}
