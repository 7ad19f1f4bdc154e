using System;
using System.Diagnostics;
using System.Management.Automation.Runspaces;
using System.Reflection;
using System.Threading.Tasks;

namespace Agno.Hosting
{
    /// <summary>
    /// A runspace over SSH that Agno opened. PowerShell runs an ssh client process for it; ending that
    /// process is what ends a pipeline whose remote side does not yield to a stop (a stop needs the
    /// remote's cooperation), and it fails the pipeline within milliseconds.
    /// </summary>
    internal sealed class SshConnection : RemoteConnection
    {
        private const BindingFlags Private = BindingFlags.Instance | BindingFlags.NonPublic;

        /// <summary>How long a close may wait for the far side's answer before its ssh client is ended.</summary>
        private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

        private volatile bool _killed;

        public SshConnection(Runspace runspace) : base(runspace) { }

        public override bool Kill()
        {
            var id = SshProcessId(Runspace);
            if (id <= 0) return false;
            try
            {
                using var process = Process.GetProcessById(id);
                // The id is read from the live transport, but make sure it was not reused meanwhile.
                if (process.ProcessName != "ssh") return false;
                process.Kill();
            }
            catch (Exception e) when (e is ArgumentException || e is InvalidOperationException || e is System.ComponentModel.Win32Exception)
            {
                // it has exited already
            }
            _killed = true;
            return true;
        }

        /// <summary>
        /// Closes as PowerShell does (a close message, then PowerShell ends ssh), ending ssh itself when the
        /// far side does not answer in time. A transport that broke, or whose ssh was ended, closes itself
        /// as it notices: closing it too would write to a dead ssh, and PowerShell's own cleanup would then
        /// fail to flush that on a thread of its own, which ends the process.
        /// </summary>
        public override void Close()
        {
            if (_killed || Runspace.RunspaceStateInfo.State == RunspaceState.Broken) return;
            var closed = Task.Run(() =>
            {
                try
                {
                    Runspace.Dispose();
                }
                catch (Exception)
                {
                    // a transport that breaks while closing can throw: the runspace is gone either way
                }
            });
            if (!closed.Wait(CloseTimeout)) Kill();
        }

        /// <summary>
        /// The id of the ssh client PowerShell started for <paramref name="runspace"/>, or 0 when it is not
        /// known (not started yet). It is private to PowerShell; the path to it is the same from 7.4 to 7.6
        /// and a test pins it: RemoteRunspace.RunspacePool → RunspacePool._internalPool →
        /// RemoteRunspacePoolInternal.DataStructureHandler → _transportManager → SSHClientSessionTransportManager._sshProcessId.
        /// </summary>
        internal static int SshProcessId(Runspace runspace)
        {
            var transport = Transport(runspace);
            return transport?.GetType().GetField("_sshProcessId", Private)?.GetValue(transport) is int id ? id : 0;
        }

        /// <summary>The transport PowerShell made for <paramref name="runspace"/> (it exists before the runspace opens), or null.</summary>
        internal static object? Transport(Runspace runspace)
        {
            var pool = runspace.GetType().GetProperty("RunspacePool", Private)?.GetValue(runspace);
            var internalPool = pool == null ? null : typeof(RunspacePool).GetField("_internalPool", Private)?.GetValue(pool);
            var handler = internalPool?.GetType().GetProperty("DataStructureHandler", Private)?.GetValue(internalPool);
            return handler?.GetType().GetField("_transportManager", Private)?.GetValue(handler);
        }
    }
}
