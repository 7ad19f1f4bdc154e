using System;
using System.Management.Automation;
using Agno.Core;

namespace Agno.Commands
{
    /// <summary>New-AgnoWorkflow: a sequence of steps, parallel nodes and workflows, each committed before the next starts.</summary>
    [Cmdlet(VerbsCommon.New, "AgnoWorkflow")]
    [OutputType(typeof(Workflow))]
    public sealed class NewAgnoWorkflowCommand : AgnoCmdlet
    {
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; } = "";

        [Parameter(Mandatory = true, Position = 1)]
        [ValidateNotNullOrEmpty]
        [AllowNull]
        public WorkflowNode?[] Step { get; set; } = Array.Empty<WorkflowNode>();

        protected override void EndProcessing() => Terminating(() =>
        {
            var workflow = new Workflow(Name);
            for (int i = 0; i < Step.Length; i++)
            {
                var step = Step[i] ?? throw new AgnoArgumentException($"Step {i + 1} of workflow '{Name}' is null; pass steps, workflows or parallel nodes.", Name);
                try
                {
                    workflow.AddStep(step);
                }
                catch (ArgumentException e)
                {
                    throw AgnoErrors.Argument(e, step.Name);
                }
            }
            WriteObject(workflow);
        });
    }
}
