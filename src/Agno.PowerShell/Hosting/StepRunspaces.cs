using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Threading;

namespace Agno.Hosting
{
    /// <summary>
    /// The one place that starts runspaces for steps: a pool of opened runspaces with the Agno module
    /// loaded, each lent to one running step at a time. A returned runspace is kept as it is when
    /// the step left nothing behind (see <see cref="RunspaceFingerprint"/>); else it is reset
    /// (ResetRunspaceState) and kept if that made it clean; else it is disposed. The pool never limits how many run at once (throttles belong to
    /// parallel nodes), so nested invocations cannot deadlock on it.
    /// </summary>
    internal sealed class StepRunspaces
    {
        public static StepRunspaces Shared { get; } = new StepRunspaces(Math.Max(8, Environment.ProcessorCount * 2));

        /// <summary>The name of every runspace the pool makes (Get-Runspace shows it).</summary>
        public const string RunspaceName = "Agno";


        private readonly ConcurrentBag<Lease> _idle = new ConcurrentBag<Lease>();
        private readonly int _maxIdle;
        private readonly Lazy<InitialSessionState> _initialState;

        private StepRunspaces(int maxIdle)
        {
            _maxIdle = maxIdle;
            _initialState = new Lazy<InitialSessionState>(() =>
            {
                var iss = InitialSessionState.CreateDefault2();
                // The built-in modules steps use most are loaded up front, so that autoloading one
                // does not make a runspace look dirty; the Agno cmdlets are there in every step.
                iss.ImportPSModule(new[] { "Microsoft.PowerShell.Utility", "Microsoft.PowerShell.Management", typeof(StepRunspaces).Assembly.Location });
                iss.Commands.Add(new SessionStateFunctionEntry(StepBootstrap.FunctionName, StepBootstrap.Script));
                iss.Commands.Add(new SessionStateFunctionEntry(ItemLoop.FunctionName, ItemLoop.Script));
                iss.ThreadOptions = PSThreadOptions.ReuseThread;
                return iss;
            }, LazyThreadSafetyMode.ExecutionAndPublication);
        }

        /// <summary>A runspace no other step is using, opened and clean.</summary>
        public Lease Rent()
        {
            while (_idle.TryTake(out var lease))
            {
                if (lease.Runspace.RunspaceStateInfo.State == RunspaceState.Opened) return lease;
                lease.Runspace.Dispose();
            }
            var runspace = RunspaceFactory.CreateRunspace(_initialState.Value);
            runspace.Name = RunspaceName;
            runspace.Open();
            // The baseline is taken after a reset, the state every kept runspace is returned to.
            runspace.ResetRunspaceState();
            return new Lease(runspace, RunspaceFingerprint.Take(runspace));
        }

        /// <summary>Disposes every idle runspace (the module is being removed); runspaces in use are handled when they come back.</summary>
        public void Clear()
        {
            while (_idle.TryTake(out var lease)) lease.Runspace.Dispose();
        }

        /// <summary>Takes a runspace back: reset and kept when clean, else disposed.</summary>
        public void Return(Lease lease)
        {
            var runspace = lease.Runspace;
            bool keep = runspace.RunspaceStateInfo.State == RunspaceState.Opened
                && runspace.RunspaceAvailability == RunspaceAvailability.Available
                && _idle.Count < _maxIdle;
            if (keep)
            {
                try
                {
                    // $Error is one list, kept; what the step added to it is not.
                    (runspace.SessionStateProxy.GetVariable("Error") as System.Collections.IList)?.Clear();
                    var now = RunspaceFingerprint.Take(runspace);
                    if (!now.Matches(lease.Baseline))
                    {
                        // Only variables changed: a reset puts them back (as new objects, the new baseline).
                        keep = now.MatchesApartFromVariables(lease.Baseline);
                        if (keep)
                        {
                            runspace.ResetRunspaceState();
                            lease.Baseline = RunspaceFingerprint.Take(runspace);
                        }
                    }
                }
                catch (Exception)
                {
                    keep = false;
                }
            }
            if (keep) _idle.Add(lease);
            else runspace.Dispose();
        }

        /// <summary>A runspace lent to one step, and what it looked like when clean.</summary>
        internal sealed class Lease
        {
            public Lease(Runspace runspace, RunspaceFingerprint baseline)
            {
                Runspace = runspace;
                Baseline = baseline;
            }

            public Runspace Runspace { get; }
            public RunspaceFingerprint Baseline { get; set; }
        }
    }
}
