using System;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Threading.Tasks;

namespace Agno.Hosting
{
    /// <summary>
    /// One runspace in another process (over SSH, in a child pwsh, or a user's PSSession) that runs one
    /// step at a time. Each kind says how its far side is ended when a step must be stopped and the
    /// far side does not yield, and how the connection is closed.
    /// </summary>
    internal abstract class RemoteConnection
    {
        protected RemoteConnection(Runspace runspace)
        {
            Runspace = runspace;
        }

        public Runspace Runspace { get; }

        /// <summary>
        /// Completes, with the error to report, when the far side is known to be gone before PowerShell
        /// notices (a child process that exited); never completes for the others.
        /// </summary>
        public virtual Task<Exception> Lost { get; } = new TaskCompletionSource<Exception>().Task;

        /// <summary>How a pipeline is started on it (new for each): with the runspace's own host unless said otherwise.</summary>
        public virtual PSInvocationSettings Settings => new PSInvocationSettings();

        /// <summary>True once a step was left running on it (a stop that did not end in time, the far side lost): it is not reused.</summary>
        public bool Spoiled { get; private set; }

        /// <summary>Marks the connection as not to be reused.</summary>
        public void Spoil() => Spoiled = true;

        /// <summary>True when the connection can run the next step.</summary>
        public bool Usable => !Spoiled
            && Runspace.RunspaceStateInfo.State == RunspaceState.Opened
            && Runspace.RunspaceAvailability == RunspaceAvailability.Available
            && !Lost.IsCompleted;

        /// <summary>
        /// Ends the far side at once (the ssh client, the child process), which fails a pipeline that
        /// would not stop; false when this connection is not ours to end (a user's PSSession).
        /// </summary>
        public abstract bool Kill();

        /// <summary>Closes the connection for good, within seconds even when the far side does not answer.</summary>
        public abstract void Close();
    }
}
