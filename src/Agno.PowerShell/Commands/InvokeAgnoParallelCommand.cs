using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Agno.Core;
using Agno.Hosting;

namespace Agno.Commands
{
    /// <summary>
    /// Invoke-AgnoParallel: runs branches now, each on its own copy of the state, and merges their
    /// changes in branch order; the session is updated in place. Its options are <see cref="ParallelSettings"/>;
    /// with -HostName or -PSSession (<see cref="RemoteSettings"/>), each scriptblock runs as a branch on
    /// each host or session, in the order given.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Invoke, "AgnoParallel", DefaultParameterSetName = ParameterSets.ScriptBlock)]
    [OutputType(typeof(object), typeof(RunRecord))]
    public sealed class InvokeAgnoParallelCommand : InvokeNodeCommand, IDynamicParameters
    {
        private readonly ParallelSettings _settings = new ParallelSettings();
        private readonly RemoteSettings _remote = new RemoteSettings();
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
        public object GetDynamicParameters() => (_parameters ??= new SettingsParameters(_settings, _remote)).Parameters;

        protected override void ProcessRecord()
        {
            var session = SessionRegistry.Require(this, Session);
            ParallelNode node = null!;
            Terminating(() =>
            {
                _parameters?.Apply();
                var bound = _parameters ?? new SettingsParameters(_settings, _remote);
                if (ParameterSetName == ParameterSets.Step && (bound.IsSet(nameof(RemoteSettings.HostName)) || bound.IsSet(nameof(RemoteSettings.PSSession)) || bound.IsSet(nameof(RemoteSettings.IdleTimeoutSeconds))))
                {
                    throw new AgnoArgumentException("-HostName, -PSSession and -IdleTimeoutSeconds apply to the branches of -ScriptBlock; a step made with New-AgnoStep says where it runs itself (New-AgnoStep -HostName, -PSSession, -Isolation).", nameof(Step));
                }
                var branches = ParameterSetName == ParameterSets.Step ? Step : ScriptBranches(bound);
                bool mergeGiven = _parameters != null && (_parameters.IsSet(nameof(ParallelSettings.MergeStrategy)) || _parameters.IsSet(nameof(ParallelSettings.Reducer)));
                node = _settings.Build(this, Name, branches, TimeoutSeconds > 0 ? TimeSpan.FromSeconds(TimeoutSeconds) : (TimeSpan?)null, mergeGiven);
            });
            Invoke(session, node, runTimeout: null, resume: false);
        }

        /// <summary>
        /// A branch per scriptblock, or per host or session and scriptblock (host by host, in the order
        /// given); each scriptblock is captured once, its copies shared by its branches' runs.
        /// </summary>
        private WorkflowNode?[] ScriptBranches(SettingsParameters bound)
        {
            bool process = Isolation == StepIsolation.Process;
            IReadOnlyList<RemoteTarget?> targets = _remote.Targets(this, bound, process);
            if (targets.Count == 0) targets = new[] { process ? _remote.ChildProcessTarget(bound) : null };
            var scripts = ScriptBlock.Select((script, i) => script == null ? null : StepScript.Capture(this, $"Branch{i + 1}", script)).ToArray();
            var branches = new List<WorkflowNode?>();
            foreach (var target in targets)
            {
                foreach (var script in scripts)
                {
                    var name = $"Branch{branches.Count + 1}";
                    branches.Add(script == null ? null : ScriptStep.Create(name, script, 0, target: target));
                }
            }
            return branches.ToArray();
        }
    }
}
