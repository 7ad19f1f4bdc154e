using System;
using System.Diagnostics;
using System.IO;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Threading;
using System.Threading.Tasks;
using Agno.Commands;
using Agno.Core;

namespace Agno.Hosting
{
    /// <summary>
    /// A child pwsh on this machine (-Isolation Process): PowerShell's out-of-process runspace, the one
    /// Start-Job uses, started from the pwsh running us. One child per running step; children are pooled
    /// and reused by later steps until idle for <see cref="PooledTarget.IdleTimeout"/>.
    /// </summary>
    internal sealed class ProcessTarget : PooledTarget
    {
        /// <summary>The target of steps run under -Isolation Process without an idle timeout of their own.</summary>
        public static ProcessTarget Default { get; } = new ProcessTarget(DefaultIdleTimeout);

        private static readonly Lazy<Type> InstanceType = new Lazy<Type>(() =>
            typeof(PSObject).Assembly.GetType("System.Management.Automation.Runspaces.PowerShellProcessInstance", throwOnError: true)!);

        public ProcessTarget(TimeSpan idleTimeout) : base(idleTimeout) { }

        public override string HostLabel => "process";
        public override string Location => "in a child process";
        public override bool SameMachine => true;
        public override string PoolKey => "process";

        protected override async Task<RemoteConnection> OpenAsync(CancellationToken cancellationToken)
        {
            var instance = NewProcessInstance();
            var runspace = CreateRunspace(instance);
            var connection = new ProcessConnection(runspace, instance);
            var failure = await OpenAsync(runspace, connection.Kill, cancellationToken).ConfigureAwait(false);
            if (failure == null)
            {
                connection.Watch();
                return connection;
            }
            connection.Close();
            throw Failure("AgnoProcessStartFailed", $"no child pwsh could be started: {failure.Message}", AgnoErrorKind.ResourceUnavailable, failure);
        }

        /// <summary>
        /// A PowerShellProcessInstance (not in the reference assemblies the module is built against) that
        /// starts the pwsh running us: PowerShell starts $PSHOME/pwsh, but under 'dotnet pwsh' (a .NET tool)
        /// that apphost may not find the runtime, so dotnet itself is started on pwsh.dll.
        /// </summary>
        internal static IDisposable NewProcessInstance()
        {
            var constructor = InstanceType.Value.GetConstructor(new[] { typeof(Version), typeof(PSCredential), typeof(ScriptBlock), typeof(bool) })
                ?? throw new NotSupportedException("This PowerShell has no PowerShellProcessInstance(Version, PSCredential, ScriptBlock, bool): -Isolation Process needs PowerShell 7.4 or later.");
            var instance = (IDisposable)constructor.Invoke(new object?[] { null, null, null, false });
            var start = ProcessOf(instance).StartInfo;
            using var current = Process.GetCurrentProcess();
            var executable = current.MainModule?.FileName;
            if (executable != null && Path.GetFileNameWithoutExtension(executable).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            {
                var psHome = Path.GetDirectoryName(typeof(PSObject).Assembly.Location)!;
                start.FileName = executable;
                start.ArgumentList.Insert(0, Path.Combine(psHome, "pwsh.dll"));
            }
            return instance;
        }

        internal static Process ProcessOf(IDisposable instance) => (Process)InstanceType.Value.GetProperty("Process")!.GetValue(instance)!;

        internal static Runspace CreateRunspace(IDisposable instance)
        {
            var create = typeof(RunspaceFactory).GetMethod("CreateOutOfProcessRunspace", new[] { typeof(TypeTable), InstanceType.Value })
                ?? throw new NotSupportedException("This PowerShell has no RunspaceFactory.CreateOutOfProcessRunspace(TypeTable, PowerShellProcessInstance).");
            return (Runspace)create.Invoke(null, new object[] { TypeTable.LoadDefaultTypeFiles(), instance })!;
        }

        /// <summary>
        /// A child pwsh and its runspace. PowerShell notices a child that died only a minute later, so the
        /// child's exit is watched here and reported at once. The runspace never ends a process it was
        /// given: closing ends it here.
        /// </summary>
        private sealed class ProcessConnection : RemoteConnection
        {
            private readonly IDisposable _instance;
            private readonly Process _process;
            private readonly TaskCompletionSource<Exception> _lost = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
            private volatile bool _ending;

            public ProcessConnection(Runspace runspace, IDisposable instance) : base(runspace)
            {
                _instance = instance;
                _process = ProcessOf(instance);
            }

            public override Task<Exception> Lost => _lost.Task;

            /// <summary>Starts watching the child, once it runs (the runspace starts it when it opens).</summary>
            public void Watch()
            {
                _process.EnableRaisingEvents = true;
                _process.Exited += (s, e) => Exited();
                if (_process.HasExited) Exited();
            }

            private void Exited()
            {
                if (_ending) return;
                int code;
                try { code = _process.ExitCode; } catch (InvalidOperationException) { code = -1; }
                _lost.TrySetResult(new AgnoCommandException("AgnoProcessExited",
                    $"its child process (pid {_process.Id}) exited with code {code} while it ran. Nothing the step changed was kept; the next step gets a new process.",
                    AgnoErrorKind.Failed, "process"));
            }

            public override bool Kill()
            {
                _ending = true;
                _instance.Dispose(); // kills the child
                return true;
            }

            /// <summary>
            /// A healthy child is closed as PowerShell closes one, then ended; a broken one is ended first,
            /// and its runspace let go in the background. Either way the child is gone when this returns.
            /// </summary>
            public override void Close()
            {
                bool healthy = Usable;
                _ending = true;
                if (healthy)
                {
                    try
                    {
                        Runspace.Dispose();
                    }
                    finally
                    {
                        _instance.Dispose();
                    }
                }
                else
                {
                    _instance.Dispose();
                    DisposeInBackground(Runspace);
                }
                try
                {
                    _process.WaitForExit(ExitTimeoutMilliseconds);
                }
                catch (InvalidOperationException)
                {
                    // it never started
                }
            }

            /// <summary>How long a killed child may take to be gone (it is signalled, then reaped).</summary>
            private const int ExitTimeoutMilliseconds = 10000;
        }
    }
}
