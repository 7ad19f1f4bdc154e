using System;
using System.Management.Automation;
using Agno.Core;

namespace Agno.Commands
{
    /// <summary>New-AgnoWorkflow: a sequence of steps, parallel nodes and workflows, each committed before the next starts.</summary>
    [Cmdlet(VerbsCommon.New, "AgnoWorkflow")]
    [OutputType(typeof(Workflow))]
    public sealed class NewAgnoWorkflowCommand : NewNodeCommand
    {
        [Parameter(Mandatory = true, Position = 1)]
        [ValidateNotNullOrEmpty]
        [AllowNull]
        public WorkflowNode?[] Step { get; set; } = Array.Empty<WorkflowNode>();

        private protected override WorkflowNode MakeNode()
        {
            var workflow = new Workflow(Name);
            NodeList.AddAll(Name, "-Step", Step, n => workflow.AddStep(n));
            return workflow;
        }
    }
}
