using System;
using System.Management.Automation;
using Agno.Core;
using Agno.Hosting;

namespace Agno.Commands
{
    /// <summary>Invoke-AgnoWorkflow: runs a workflow on a session, step by step; the session is updated in place.</summary>
    [Cmdlet(VerbsLifecycle.Invoke, "AgnoWorkflow")]
    [OutputType(typeof(object), typeof(RunRecord))]
    public sealed class InvokeAgnoWorkflowCommand : InvokeNodeCommand
    {
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNull]
        public WorkflowNode Workflow { get; set; } = null!;

        /// <summary>The session to run on; sessions piped in each get a run.</summary>
        [Parameter(ValueFromPipeline = true)]
        public override AgnoSession? Session { get; set; }

        /// <summary>How long the whole run may take; past that its running steps are stopped and the run fails (completed steps stay).</summary>
        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int TimeoutSeconds { get; set; }

        /// <summary>Continue the last unfinished run of this workflow on this session, skipping the steps it completed.</summary>
        [Parameter]
        public SwitchParameter Resume { get; set; }

        protected override void ProcessRecord()
        {
            var session = SessionRegistry.Require(this, Session);
            Invoke(session, Workflow, TimeoutSeconds > 0 ? TimeSpan.FromSeconds(TimeoutSeconds) : (TimeSpan?)null, Resume);
        }
    }
}
