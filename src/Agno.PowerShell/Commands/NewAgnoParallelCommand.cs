using System;
using System.Management.Automation;
using Agno.Core;

namespace Agno.Commands
{
    /// <summary>
    /// New-AgnoParallel: a node that runs its branches concurrently and merges them in branch order.
    /// Its options (-ThrottleLimit, -MergeStrategy, -Reducer, -ErrorPolicy) are <see cref="ParallelSettings"/>.
    /// </summary>
    [Cmdlet(VerbsCommon.New, "AgnoParallel")]
    [OutputType(typeof(ParallelNode))]
    public sealed class NewAgnoParallelCommand : NewNodeCommand, IDynamicParameters
    {
        private readonly ParallelSettings _settings = new ParallelSettings();
        private SettingsParameters? _parameters;

        [Parameter(Mandatory = true, Position = 1)]
        [ValidateNotNullOrEmpty]
        [AllowNull]
        public WorkflowNode?[] Step { get; set; } = Array.Empty<WorkflowNode>();

        /// <summary>How long the node may run, each time a workflow runs it; past that its branches are stopped and it fails, merging nothing.</summary>
        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int TimeoutSeconds { get; set; }

        /// <inheritdoc/>
        public object GetDynamicParameters() => (_parameters ??= new SettingsParameters(_settings)).Parameters;

        private protected override WorkflowNode MakeNode()
        {
            _parameters?.Apply();
            bool mergeGiven = _parameters != null && (_parameters.IsSet(nameof(ParallelSettings.MergeStrategy)) || _parameters.IsSet(nameof(ParallelSettings.Reducer)));
            return _settings.Build(this, Name, Step, TimeoutSeconds > 0 ? TimeSpan.FromSeconds(TimeoutSeconds) : (TimeSpan?)null, mergeGiven);
        }
    }
}
