using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Agno.Core;

namespace Agno.Hosting
{
    /// <summary>
    /// A user's PSSession (SSH, or WinRM on Windows): its runspace runs the step. The session is the
    /// user's: Agno neither opens nor closes it, and never ends its far side. Steps that use one session
    /// take turns; a session busy with the user's own command is an error naming it.
    /// </summary>
    internal sealed class PSSessionTarget : RemoteTarget
    {
        private static readonly ConditionalWeakTable<Runspace, SemaphoreSlim> Turns = new ConditionalWeakTable<Runspace, SemaphoreSlim>();

        private readonly PSSession _session;

        public PSSessionTarget(PSSession session)
        {
            _session = session;
        }

        public override string HostLabel => _session.ComputerName;
        public override string Location => $"on host '{_session.ComputerName}' (PSSession '{_session.Name}')";

        public override async Task<RemoteConnection> AcquireAsync(CancellationToken cancellationToken)
        {
            var runspace = _session.Runspace;
            var turn = Turns.GetValue(runspace, _ => new SemaphoreSlim(1, 1));
            await turn.WaitAsync(cancellationToken).ConfigureAwait(false);
            var state = runspace.RunspaceStateInfo.State;
            if (state != RunspaceState.Opened)
            {
                turn.Release();
                throw Failure("AgnoRemoteSessionNotOpen",
                    $"PSSession '{_session.Name}' (Id {_session.Id}) is {state}, not Opened. Open a new one with New-PSSession and give that.", AgnoErrorKind.ResourceUnavailable);
            }
            if (runspace.RunspaceAvailability != RunspaceAvailability.Available)
            {
                turn.Release();
                throw Failure("AgnoRemoteSessionBusy",
                    $"PSSession '{_session.Name}' (Id {_session.Id}) is {runspace.RunspaceAvailability}: a command of yours is running in it, or a stopped step that has not ended yet. Wait for it, or give another session.", AgnoErrorKind.ResourceUnavailable);
            }
            return new SessionConnection(runspace);
        }

        public override void Release(RemoteConnection connection) => Turns.GetValue(connection.Runspace, _ => new SemaphoreSlim(1, 1)).Release();

        /// <summary>The user's runspace, lent for one step: not ours to end or close.</summary>
        private sealed class SessionConnection : RemoteConnection
        {
            public SessionConnection(Runspace runspace) : base(runspace) { }

            /// <summary>The session has the caller's host, which would echo the step's records: a silent one instead.</summary>
            public override PSInvocationSettings Settings => new PSInvocationSettings { Host = SilentHost.Instance };

            public override bool Kill() => false;

            public override void Close() { }
        }
    }
}
