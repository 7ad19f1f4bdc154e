using System.Collections;
using System.Linq;
using System.Management.Automation;
using System;
using Agno.Core;
using Agno.Hosting;

namespace Agno.Commands
{
    /// <summary>
    /// Invoke-AgnoParallel: runs branches now, each on its own copy of the state, and merges their
    /// changes in branch order; the session is updated in place.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Invoke, "AgnoParallel", DefaultParameterSetName = "ScriptBlock")]
    [OutputType(typeof(object), typeof(RunRecord))]
    public sealed class InvokeAgnoParallelCommand : InvokeNodeCommand
    {
        [Parameter(Mandatory = true, ParameterSetName = "Step")]
        [ValidateNotNullOrEmpty]
        [AllowNull]
        public WorkflowNode?[] Step { get; set; } = Array.Empty<WorkflowNode>();

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = "ScriptBlock")]
        [ValidateNotNullOrEmpty]
        [AllowNull]
        public ScriptBlock?[] ScriptBlock { get; set; } = Array.Empty<ScriptBlock>();

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; } = "parallel";

        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int ThrottleLimit { get; set; } = ParallelOptions.DefaultThrottleLimit;

        [Parameter]
        public MergeStrategy MergeStrategy { get; set; } = MergeStrategy.LastWriteWins;

        [Parameter]
        public IDictionary? Reducer { get; set; }

        [Parameter]
        public ErrorPolicy ErrorPolicy { get; set; } = ErrorPolicy.Stop;

        // -TimeoutSeconds limits the parallel node itself (set below), not a surrounding run.
        private protected override TimeSpan? RunTimeout => null;

        // Not given, the node merges by its session's rules (New-AgnoSession -MergeStrategy).
        private MergeStrategy? GivenStrategy => MyInvocation.BoundParameters.ContainsKey(nameof(MergeStrategy)) ? MergeStrategy : (MergeStrategy?)null;

        private protected override WorkflowNode BuildNode()
        {
            var branches = ParameterSetName == "Step"
                ? Step
                : ScriptBlock.Select((script, i) => script == null
                    ? null
                    : (WorkflowNode)ScriptStep.Create($"Branch{i + 1}", StepScript.Capture(this, $"Branch{i + 1}", script), 0)).ToArray();
            return ParallelOptions.Build(this, Name, branches, ThrottleLimit, GivenStrategy, Reducer, ErrorPolicy, TimeoutSeconds);
        }
    }
}
