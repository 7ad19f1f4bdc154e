using System;
using System.Linq;
using System.Management.Automation;
using System.Threading.Tasks;
using Agno.Core;
using Agno.Hosting;

namespace Agno.Commands
{
    /// <summary>
    /// What Invoke-AgnoWorkflow and Invoke-AgnoParallel share: run a node on a session (updated in
    /// place), with the steps' streams written here on the pipeline thread, and the run record with -PassThru.
    /// A run is started, pumped (between pipeline items, too) and finished; the cmdlet's disposal stops
    /// one that its pipeline left unfinished (an upstream command failed), so that nothing keeps running.
    /// </summary>
    public abstract class InvokeNodeCommand : AgnoCmdlet, IDisposable
    {
        private InvocationHost? _host;
        private Task<RunRecord>? _run;

        /// <summary>The session the node runs on (each cmdlet says how it binds).</summary>
        public abstract AgnoSession? Session { get; set; }

        [Parameter]
        public StepIsolation Isolation { get; set; } = StepIsolation.Runspace;

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        /// <summary>Runs <paramref name="node"/> on the session as one run, within <paramref name="runTimeout"/>, continuing its last unfinished run when <paramref name="resume"/>.</summary>
        private protected void Invoke(AgnoSession session, WorkflowNode node, TimeSpan? runTimeout, bool resume)
        {
            Start(session, node, runTimeout, resume, ordered: false);
            Finish();
        }

        /// <summary>Starts the run on worker threads; pump it with <see cref="PumpUntil"/> and end it with <see cref="Finish"/>.</summary>
        private protected void Start(AgnoSession session, WorkflowNode node, TimeSpan? runTimeout, bool resume, bool ordered)
        {
            var host = new InvocationHost(this, Isolation, node, ordered);
            _host = host;
            _resume = resume;
            var options = new RunOptions { Timeout = runTimeout, Observer = host, Resume = resume };
            _run = host.Start(stop => node.ExecuteAsync(session, stop, options));
        }

        private bool _resume;

        /// <summary>True while a started run has not been finished.</summary>
        private protected bool Running => _host != null;

        /// <summary>True once the run has ended by itself (failed) or is being stopped: the pipeline form then reads no more items.</summary>
        private protected bool Ended => _run == null || _run.IsCompleted || _host!.Stopping || _host.WriteFailure != null;

        /// <summary>Does the run's work on the pipeline thread until <paramref name="done"/> completes (or the run ends).</summary>
        private protected void PumpUntil(Task done) => _host!.PumpUntil(done);

        /// <summary>Pumps the run to its end and reports it: its failure as a terminating error, Continue's failures, the record with -PassThru.</summary>
        private protected void Finish()
        {
            var host = _host!;
            var run = _run!;
            try
            {
                host.Pump(run);
            }
            finally
            {
                _host = null;
                host.Dispose();
            }

            if (host.WriteFailure != null) throw host.WriteFailure;
            if (host.Stopping || !run.IsCompleted) return; // stopped: the pipeline is being torn down
            if (run.IsFaulted)
            {
                var failure = run.Exception!.GetBaseException();
                if (failure is AgnoException { Run: { } failedRun }) StoreWarnings.Write(this, failedRun, _resume);
                ThrowTerminatingError(AgnoErrors.FromException(failure is AgnoException ? failure : run.Exception.InnerException!));
            }
            StoreWarnings.Write(this, run.Result, _resume);
            // What a node says that is not an error (a loop that reached its maximum) is a warning, naming the node.
            foreach (var noted in run.Result.Root.Descendants().Where(n => n.Note != null && n.Status != NodeStatus.Stopped)) WriteWarning($"[{noted.Path}] {noted.Note}");
            if (run.Result.Status == NodeStatus.Stopped) WriteVerbose($"The run of '{run.Result.Name}' was stopped by a step: {run.Result.StopReason}");
            foreach (var error in AgnoErrors.ContinuedFailures(run.Result)) WriteError(error);
            if (PassThru) WriteObject(run.Result);
        }

        protected override void StopProcessing() => _host?.Stop();

        /// <summary>A run its pipeline never finished (a command before this one failed) is stopped, and its steps wound down.</summary>
        public void Dispose()
        {
            var host = _host;
            if (host == null) return;
            _host = null;
            host.Stop();
            try
            {
                host.Pump(_run!);
            }
            finally
            {
                host.Dispose();
            }
        }
    }
}
