using System;
using System.Management.Automation.Runspaces;
using System.Threading;
using System.Threading.Tasks;
using Agno.Commands;
using Agno.Core;

namespace Agno.Hosting
{
    /// <summary>
    /// Where a step runs when not in this process: a host over SSH (<see cref="SshTarget"/>), a user's
    /// PSSession (<see cref="PSSessionTarget"/>) or a child pwsh (<see cref="ProcessTarget"/>). It lends
    /// a connection to one step at a time and takes it back.
    /// </summary>
    internal abstract class RemoteTarget
    {
        /// <summary>What the step's records are tagged with after its name: <c>[step@HostLabel]</c>.</summary>
        public abstract string HostLabel { get; }

        /// <summary>Where the step ran, for messages: <c>host 'web1'</c>.</summary>
        public abstract string Location { get; }

        /// <summary>True when the far side is this machine, so that the caller's location and script file mean the same there.</summary>
        public virtual bool SameMachine => false;

        /// <summary>A connection for one step, opened or reused; throws an <see cref="AgnoException"/> naming the cause when there is none.</summary>
        public abstract Task<RemoteConnection> AcquireAsync(CancellationToken cancellationToken);

        /// <summary>Takes back a connection after a step: kept for the next one when still usable.</summary>
        public abstract void Release(RemoteConnection connection);

        /// <summary>
        /// Opens <paramref name="runspace"/> without blocking a thread; on cancellation ends the attempt
        /// with <paramref name="kill"/> (the half-open transport may not answer a close) and throws.
        /// Returns the runspace's failure, or null once it is open.
        /// </summary>
        protected static async Task<Exception?> OpenAsync(Runspace runspace, Func<bool> kill, CancellationToken cancellationToken)
        {
            var opened = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
            runspace.StateChanged += (s, e) =>
            {
                switch (e.RunspaceStateInfo.State)
                {
                    case RunspaceState.Opened: opened.TrySetResult(null); break;
                    case RunspaceState.Broken:
                    case RunspaceState.Closed:
                        opened.TrySetResult(e.RunspaceStateInfo.Reason ?? new InvalidOperationException("The connection closed while it was being opened."));
                        break;
                }
            };
            try
            {
                runspace.OpenAsync();
            }
            catch (Exception e)
            {
                return e;
            }
            using (cancellationToken.Register(() => opened.TrySetCanceled()))
            {
                try
                {
                    return await opened.Task.ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // An ended far side breaks the transport, which then closes itself; else close it here.
                    if (!kill()) DisposeInBackground(runspace);
                    throw new OperationCanceledException(cancellationToken);
                }
            }
        }

        /// <summary>Disposes a runspace whose far side may not answer, off the calling thread (a close can wait a minute for a reply).</summary>
        protected static void DisposeInBackground(Runspace runspace) => Task.Run(() =>
        {
            try
            {
                runspace.Dispose();
            }
            catch (Exception)
            {
                // a broken transport can throw while closing: the runspace is gone either way
            }
        });

        /// <summary>The error of a connection that could not be made: <paramref name="errorId"/>, naming where.</summary>
        protected AgnoCommandException Failure(string errorId, string message, AgnoErrorKind kind, Exception? inner = null) =>
            new AgnoCommandException(errorId, message, kind, HostLabel, inner);
    }
}
