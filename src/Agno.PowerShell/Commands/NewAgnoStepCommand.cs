using System;
using System.Management.Automation;
using Agno.Core;
using Agno.Hosting;

namespace Agno.Commands
{
    /// <summary>
    /// New-AgnoStep: a named step whose work is a scriptblock. <c>$using:name</c>, -ArgumentList,
    /// -Function, -Module and -Variable are captured now, as copies. Where it runs is the invocation's
    /// isolation unless the step says: its own -Isolation, or another host (<see cref="RemoteSettings"/>).
    /// </summary>
    [Cmdlet(VerbsCommon.New, "AgnoStep")]
    [OutputType(typeof(Step))]
    public sealed class NewAgnoStepCommand : AgnoCmdlet, IDynamicParameters
    {
        private readonly RemoteSettings _remote = new RemoteSettings();
        private SettingsParameters? _parameters;

        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; } = "";

        [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNull]
        public ScriptBlock ScriptBlock { get; set; } = ScriptBlock.Create("");

        [Parameter]
        [AllowNull]
        [AllowEmptyCollection]
        public object?[]? ArgumentList { get; set; }

        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int TimeoutSeconds { get; set; }

        [Parameter]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[]? Function { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[]? Module { get; set; }

        [Parameter]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[]? Variable { get; set; }

        /// <summary>Where this step runs, whatever the invocation's -Isolation says.</summary>
        [Parameter]
        public StepIsolation? Isolation { get; set; }

        /// <inheritdoc/>
        public object GetDynamicParameters() => (_parameters ??= new SettingsParameters(_remote)).Parameters;

        protected override void ProcessRecord() => ForItem(() =>
        {
            _parameters?.Apply();
            var bound = _parameters ?? new SettingsParameters(_remote);
            var targets = _remote.Targets(this, bound, Isolation == StepIsolation.Process);
            if (targets.Count > 1)
            {
                throw new AgnoArgumentException($"Step '{Name}' was given {targets.Count} hosts or sessions, and a step runs in one place. Give one, or run a branch on each with Invoke-AgnoParallel -HostName or -PSSession.", Name);
            }
            if (targets.Count == 1 && Isolation != null)
            {
                throw new AgnoArgumentException($"Step '{Name}' was given -Isolation and a host or session: it runs there, in a process of its own. Leave -Isolation out.", Name);
            }
            var target = targets.Count == 1 ? targets[0] : Isolation == StepIsolation.Process ? _remote.ChildProcessTarget(bound) : null;
            var script = StepScript.Capture(this, Name, ScriptBlock, ArgumentList, Function, Module, Variable);
            WriteObject(ScriptStep.Create(Name, script, TimeoutSeconds, target == null ? Isolation : null, target));
        });
    }
}
