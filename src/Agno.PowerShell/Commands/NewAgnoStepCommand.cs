using System;
using System.Management.Automation;
using Agno.Core;
using Agno.Hosting;

namespace Agno.Commands
{
    /// <summary>
    /// New-AgnoStep: a named step whose work is a scriptblock. <c>$using:name</c> and what
    /// <see cref="StepScriptSettings"/> names (-ArgumentList, -Function, -Module, -Variable) are captured
    /// now, as copies. Its retry options are <see cref="RetrySettings"/>. Where it runs is the invocation's
    /// isolation unless the step says: its own -Isolation, or another host (<see cref="RemoteSettings"/>).
    /// </summary>
    [Cmdlet(VerbsCommon.New, "AgnoStep")]
    [OutputType(typeof(Step))]
    public sealed class NewAgnoStepCommand : AgnoCmdlet, IDynamicParameters
    {
        private readonly StepScriptSettings _script = new StepScriptSettings();
        private readonly RetrySettings _retry = new RetrySettings();
        private readonly RemoteSettings _remote = new RemoteSettings();
        private SettingsParameters? _parameters;

        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; } = "";

        [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNull]
        public ScriptBlock ScriptBlock { get; set; } = ScriptBlock.Create("");

        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int TimeoutSeconds { get; set; }

        /// <summary>Where this step runs, whatever the invocation's -Isolation says.</summary>
        [Parameter]
        public StepIsolation? Isolation { get; set; }

        private SettingsParameters Parameters => _parameters ??= new SettingsParameters(_script, _retry, _remote);

        /// <inheritdoc/>
        public object GetDynamicParameters() => Parameters.Parameters;

        protected override void ProcessRecord() => ForItem(() =>
        {
            Parameters.Apply();
            var places = _remote.Places(this, Parameters, Isolation == StepIsolation.Process);
            if (places.Count > 1)
            {
                throw new AgnoArgumentException($"Step '{Name}' was given {places.Count} hosts or sessions, and a step runs in one place. Give one, or run a branch on each with Invoke-AgnoParallel -HostName or -PSSession.", Name);
            }
            var target = places[0];
            if (target != null && !(target is ProcessTarget) && Isolation != null)
            {
                throw new AgnoArgumentException($"Step '{Name}' was given -Isolation and a host or session: it runs there, in a process of its own. Leave -Isolation out.", Name);
            }
            var script = StepScript.Capture(this, Name, ScriptBlock, _script.ArgumentList, _script.Function, _script.Module, _script.Variable);
            var step = ScriptStep.Create(Name, script, TimeoutSeconds, target == null ? Isolation : null, target);
            step.Retry = _retry.Build();
            WriteObject(step);
        });
    }
}
