using System;
using System.Linq;
using System.Management.Automation;
using Agno.Core;
using Agno.Hosting;

namespace Agno.Commands
{
    /// <summary>
    /// What Invoke-AgnoWorkflow and Invoke-AgnoParallel share: run a node on a session (updated in
    /// place), with the steps' streams written here on the pipeline thread, and the run record with -PassThru.
    /// </summary>
    public abstract class InvokeNodeCommand : AgnoCmdlet
    {
        private InvocationHost? _host;

        [Parameter(ValueFromPipeline = true)]
        public AgnoSession? Session { get; set; }

        [Parameter]
        public StepIsolation Isolation { get; set; } = StepIsolation.Runspace;

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        /// <summary>Runs <paramref name="node"/> on the session as one run, within <paramref name="runTimeout"/>, continuing its last unfinished run when <paramref name="resume"/>.</summary>
        private protected void Invoke(AgnoSession session, WorkflowNode node, TimeSpan? runTimeout, bool resume)
        {
            using var host = new InvocationHost(this, Isolation, node);
            _host = host;
            var options = new RunOptions { Timeout = runTimeout, Observer = host, Resume = resume };
            var run = host.Start(stop => node.ExecuteAsync(session, stop, options));
            try
            {
                host.Pump(run);
            }
            finally
            {
                _host = null;
            }

            if (host.WriteFailure != null) throw host.WriteFailure;
            if (host.Stopping || !run.IsCompleted) return; // stopped: the pipeline is being torn down
            if (run.IsFaulted)
            {
                var failure = run.Exception!.GetBaseException();
                if (failure is AgnoException { Run: { } failedRun }) StoreWarnings.Write(this, failedRun, resume);
                ThrowTerminatingError(AgnoErrors.FromException(failure is AgnoException ? failure : run.Exception.InnerException!));
            }
            StoreWarnings.Write(this, run.Result, resume);
            // What a node says that is not an error (a loop that reached its maximum) is a warning, naming the node.
            foreach (var noted in run.Result.Root.Descendants().Where(n => n.Note != null && n.Status != NodeStatus.Stopped)) WriteWarning($"[{noted.Path}] {noted.Note}");
            if (run.Result.Status == NodeStatus.Stopped) WriteVerbose($"The run of '{run.Result.Name}' was stopped by a step: {run.Result.StopReason}");
            foreach (var error in AgnoErrors.ContinuedFailures(run.Result)) WriteError(error);
            if (PassThru) WriteObject(run.Result);
        }

        protected override void StopProcessing() => _host?.Stop();
    }
}
