using System.Management.Automation;
using Agno.Core;
using Agno.Hosting;

namespace Agno.Commands
{
    /// <summary>
    /// Stop-AgnoWorkflow: inside a step, ends the whole run early and successfully. The step ends here
    /// and commits what it changed; the run's other parallel branches finish and merge; nothing after
    /// runs; the run's status is Stopped, with -Reason on its record. -Resume has nothing to continue.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Stop, "AgnoWorkflow")]
    [OutputType(typeof(void))]
    public sealed class StopAgnoWorkflowCommand : AgnoCmdlet
    {
        /// <summary>The id of the error that ends the step's script (the step bootstrap ends the step on it, successfully).</summary>
        internal const string StopErrorId = "AgnoWorkflowStopped";

        [Parameter(Position = 0)]
        [ValidateNotNullOrEmpty]
        public string? Reason { get; set; }

        protected override void EndProcessing()
        {
            var session = SessionRegistry.InStep ? SessionRegistry.Resolve() : null;
            if (session == null)
            {
                ThrowTerminatingError(AgnoErrors.FromException(new AgnoCommandException("AgnoNotInStep",
                    "Stop-AgnoWorkflow ends the run of the step it is called in: call it inside a step's scriptblock.", AgnoErrorKind.InvalidArgument)));
                return;
            }
            // A remote step's session stands for the caller's step there: its stop goes back with the step's changes.
            if (!RemoteStepScope.TryStopRun(session, Reason)) session.StopRun(Reason);
            // Ends the step's script here, as a throw would; the bootstrap takes this one as the step's end.
            var record = new ErrorRecord(new PSInvalidOperationException("The workflow was stopped: " + (Reason ?? "no reason given") + "."),
                StopErrorId, ErrorCategory.OperationStopped, Reason);
            throw new RuntimeException(record.Exception.Message, record.Exception, record) { WasThrownFromThrowStatement = true };
        }
    }
}
