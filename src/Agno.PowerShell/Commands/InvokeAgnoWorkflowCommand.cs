using System.Management.Automation;
using Agno.Core;

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

        /// <summary>Continue the last unfinished run of this workflow on this (stored) session, skipping the steps it completed.</summary>
        [Parameter]
        public SwitchParameter Resume { get; set; }

        private protected override bool ResumeRun => Resume;

        private protected override WorkflowNode BuildNode() => Workflow;
    }
}
