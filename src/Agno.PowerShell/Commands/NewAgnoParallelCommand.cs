using System.Collections;
using System.Management.Automation;
using System;
using Agno.Core;

namespace Agno.Commands
{
    /// <summary>New-AgnoParallel: a node that runs its branches concurrently and merges them in branch order.</summary>
    [Cmdlet(VerbsCommon.New, "AgnoParallel")]
    [OutputType(typeof(ParallelNode))]
    public sealed class NewAgnoParallelCommand : PSCmdlet
    {
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; } = "";

        [Parameter(Mandatory = true, Position = 1)]
        [ValidateNotNullOrEmpty]
        [AllowNull]
        public WorkflowNode?[] Step { get; set; } = Array.Empty<WorkflowNode>();

        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int ThrottleLimit { get; set; } = ParallelOptions.DefaultThrottleLimit;

        [Parameter]
        public MergeStrategy MergeStrategy { get; set; } = MergeStrategy.LastWriteWins;

        [Parameter]
        public IDictionary? Reducer { get; set; }

        [Parameter]
        public ErrorPolicy ErrorPolicy { get; set; } = ErrorPolicy.Stop;

        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int TimeoutSeconds { get; set; }

        // Not given, the node merges by its session's rules (New-AgnoSession -MergeStrategy).
        private MergeStrategy? GivenStrategy => MyInvocation.BoundParameters.ContainsKey(nameof(MergeStrategy)) ? MergeStrategy : (MergeStrategy?)null;

        protected override void EndProcessing()
        {
            try
            {
                WriteObject(ParallelOptions.Build(this, Name, Step, ThrottleLimit, GivenStrategy, Reducer, ErrorPolicy, TimeoutSeconds));
            }
            catch (Exception e) when (e is AgnoException || e is ArgumentException)
            {
                ThrowTerminatingError(AgnoErrors.FromException(e));
            }
        }
    }
}
