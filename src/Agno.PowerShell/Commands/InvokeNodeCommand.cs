using System.Management.Automation;
using System;
using Agno.Core;
using Agno.Hosting;

namespace Agno.Commands
{
    /// <summary>
    /// What Invoke-AgnoWorkflow and Invoke-AgnoParallel share: run a node on a session (updated in
    /// place), with the steps' streams written here on the pipeline thread, and the run record with -PassThru.
    /// </summary>
    public abstract class InvokeNodeCommand : PSCmdlet
    {
        private InvocationHost? _host;

        [Parameter(ValueFromPipeline = true)]
        public AgnoSession? Session { get; set; }

        [Parameter]
        public StepIsolation Isolation { get; set; } = StepIsolation.Runspace;

        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int TimeoutSeconds { get; set; }

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        /// <summary>The node to run; throw ArgumentException for bad input.</summary>
        private protected abstract WorkflowNode BuildNode();

        /// <summary>The time limit of the whole run, if the cmdlet's -TimeoutSeconds means that.</summary>
        private protected virtual TimeSpan? RunTimeout => TimeoutSeconds > 0 ? TimeSpan.FromSeconds(TimeoutSeconds) : (TimeSpan?)null;

        /// <summary>Whether to continue the node's last unfinished run.</summary>
        private protected virtual bool ResumeRun => false;

        protected override void ProcessRecord()
        {
            var session = SessionRegistry.Require(this, Session);
            WorkflowNode node;
            try
            {
                node = BuildNode();
            }
            catch (Exception e) when (e is AgnoException || e is ArgumentException || e is InvalidOperationException)
            {
                ThrowTerminatingError(AgnoErrors.FromException(e));
                return;
            }

            var host = new InvocationHost(this, Isolation, node);
            _host = host;
            var options = new RunOptions { Timeout = RunTimeout, Observer = host, Resume = ResumeRun };
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
                if (failure is AgnoException { Run: { } failedRun }) StoreWarnings.Write(this, failedRun, ResumeRun);
                ThrowTerminatingError(AgnoErrors.FromException(failure is AgnoException ? failure : run.Exception.InnerException!));
            }
            StoreWarnings.Write(this, run.Result, ResumeRun);
            foreach (var error in AgnoErrors.ContinuedFailures(run.Result)) WriteError(error);
            if (PassThru) WriteObject(run.Result);
        }

        protected override void StopProcessing() => _host?.Stop();
    }
}
