using System;
using System.Management.Automation;
using Agno.Core;
using Agno.Hosting;

namespace Agno.Commands
{
    /// <summary>
    /// New-AgnoLoop: a node that runs its steps again and again, until -Until is true (asked after each
    /// iteration) or while -While is true (asked before each), at most -MaxIterations times. Each
    /// iteration and each answer is checkpointed: -Resume continues in the iteration a run stopped in.
    /// </summary>
    [Cmdlet(VerbsCommon.New, "AgnoLoop")]
    [OutputType(typeof(LoopNode))]
    public sealed class NewAgnoLoopCommand : NewNodeCommand
    {
        [Parameter(Mandatory = true, Position = 1)]
        [ValidateNotNullOrEmpty]
        [AllowNull]
        public WorkflowNode?[] Step { get; set; } = Array.Empty<WorkflowNode>();

        [Parameter]
        public ScriptBlock? Until { get; set; }

        [Parameter]
        public ScriptBlock? While { get; set; }

        [Parameter(Mandatory = true)]
        [ValidateRange(1, int.MaxValue)]
        public int MaxIterations { get; set; }

        [Parameter]
        public SwitchParameter FailOnMaxIterations { get; set; }

        private protected override WorkflowNode MakeNode()
        {
            var node = new LoopNode(Name, MaxIterations)
            {
                FailOnMaxIterations = FailOnMaxIterations,
                Until = Until == null ? null : ScriptStep.Condition(Name, StepScript.Capture(this, Name + " -Until", Until)),
                While = While == null ? null : ScriptStep.Condition(Name, StepScript.Capture(this, Name + " -While", While)),
            };
            NodeList.AddAll(Name, "-Step", Step, n => node.AddStep(n));
            return node;
        }
    }
}
