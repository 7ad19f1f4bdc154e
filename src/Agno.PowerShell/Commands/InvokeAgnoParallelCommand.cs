using System;
using System.Linq;
using System.Management.Automation;
using Agno.Core;
using Agno.Hosting;

namespace Agno.Commands
{
    /// <summary>
    /// Invoke-AgnoParallel: runs branches now, each on its own copy of the state, and merges their
    /// changes in branch order; the session is updated in place. Its options are <see cref="ParallelSettings"/>.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Invoke, "AgnoParallel", DefaultParameterSetName = ParameterSets.ScriptBlock)]
    [OutputType(typeof(object), typeof(RunRecord))]
    public sealed class InvokeAgnoParallelCommand : InvokeNodeCommand, IDynamicParameters
    {
        private readonly ParallelSettings _settings = new ParallelSettings();
        private SettingsParameters? _parameters;

        [Parameter(Mandatory = true, ParameterSetName = ParameterSets.Step)]
        [ValidateNotNullOrEmpty]
        [AllowNull]
        public WorkflowNode?[] Step { get; set; } = Array.Empty<WorkflowNode>();

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = ParameterSets.ScriptBlock)]
        [ValidateNotNullOrEmpty]
        [AllowNull]
        public ScriptBlock?[] ScriptBlock { get; set; } = Array.Empty<ScriptBlock>();

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; } = "parallel";

        /// <summary>How long the branches may run together; past that they are stopped and nothing is merged.</summary>
        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int TimeoutSeconds { get; set; }

        /// <inheritdoc/>
        public object GetDynamicParameters() => (_parameters ??= new SettingsParameters(_settings)).Parameters;

        protected override void ProcessRecord()
        {
            var session = SessionRegistry.Require(this, Session);
            ParallelNode node = null!;
            Terminating(() =>
            {
                _parameters?.Apply();
                var branches = ParameterSetName == ParameterSets.Step
                    ? Step
                    : ScriptBlock.Select((script, i) => script == null
                        ? null
                        : (WorkflowNode)ScriptStep.Create($"Branch{i + 1}", StepScript.Capture(this, $"Branch{i + 1}", script), 0)).ToArray();
                bool mergeGiven = _parameters != null && (_parameters.IsSet(nameof(ParallelSettings.MergeStrategy)) || _parameters.IsSet(nameof(ParallelSettings.Reducer)));
                node = _settings.Build(this, Name, branches, TimeoutSeconds > 0 ? TimeSpan.FromSeconds(TimeoutSeconds) : (TimeSpan?)null, mergeGiven);
            });
            Invoke(session, node, runTimeout: null, resume: false);
        }
    }
}
