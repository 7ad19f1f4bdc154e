using System;
using System.Management.Automation;
using Agno.Core;
using Agno.Hosting;

namespace Agno.Commands
{
    /// <summary>
    /// New-AgnoCondition: a node that runs its -Then nodes when its -Condition is true, else its -Else
    /// nodes. The condition runs as a step does (in its runspace, reading the state); its answer is
    /// checkpointed, so -Resume takes the same branch.
    /// </summary>
    [Cmdlet(VerbsCommon.New, "AgnoCondition")]
    [OutputType(typeof(ConditionNode))]
    public sealed class NewAgnoConditionCommand : NewNodeCommand
    {
        [Parameter(Mandatory = true, Position = 1)]
        [ValidateNotNull]
        public ScriptBlock Condition { get; set; } = null!;

        [Parameter(Mandatory = true)]
        [ValidateNotNullOrEmpty]
        [AllowNull]
        public WorkflowNode?[] Then { get; set; } = Array.Empty<WorkflowNode>();

        [Parameter]
        [AllowNull]
        [AllowEmptyCollection]
        public WorkflowNode?[]? Else { get; set; }

        private protected override WorkflowNode MakeNode()
        {
            var node = new ConditionNode(Name, ScriptStep.Condition(Name, StepScript.Capture(this, Name, Condition)))
            {
                Description = Condition.ToString().Trim(),
            };
            NodeList.AddAll(Name, "-Then", Then, n => node.AddThen(n));
            NodeList.AddAll(Name, "-Else", Else, n => node.AddElse(n));
            return node;
        }
    }
}
