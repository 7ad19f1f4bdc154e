using System;
using System.Management.Automation;
using Agno.Core;

namespace Agno.Commands
{
    /// <summary>New-AgnoWorkflow: a sequence of steps, parallel nodes and workflows, each committed before the next starts.</summary>
    [Cmdlet(VerbsCommon.New, "AgnoWorkflow")]
    [OutputType(typeof(Workflow))]
    public sealed class NewAgnoWorkflowCommand : PSCmdlet
    {
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; } = "";

        [Parameter(Mandatory = true, Position = 1)]
        [ValidateNotNullOrEmpty]
        [AllowNull]
        public WorkflowNode?[] Step { get; set; } = Array.Empty<WorkflowNode>();

        protected override void EndProcessing()
        {
            var workflow = new Workflow(Name);
            for (int i = 0; i < Step.Length; i++)
            {
                if (Step[i] == null)
                {
                    ThrowTerminatingError(AgnoErrors.Record(new ArgumentException($"Step {i + 1} of workflow '{Name}' is null; pass steps, workflows or parallel nodes.", nameof(Step)),
                        "AgnoInvalidArgument", ErrorCategory.InvalidArgument, Name));
                }
                try
                {
                    workflow.AddStep(Step[i]!);
                }
                catch (ArgumentException e)
                {
                    ThrowTerminatingError(AgnoErrors.FromException(new AgnoErrors.TargetedArgumentException(e, Step[i]!.Name)));
                }
            }
            WriteObject(workflow);
        }
    }
}
