using System;
using System.Management.Automation;
using Agno.Core;
using Agno.Hosting;

namespace Agno.Commands
{
    /// <summary>
    /// New-AgnoStep: a named step whose work is a scriptblock. <c>$using:name</c>, -ArgumentList,
    /// -Function, -Module and -Variable are captured now, as copies. Its retry options are <see cref="RetrySettings"/>.
    /// </summary>
    [Cmdlet(VerbsCommon.New, "AgnoStep")]
    [OutputType(typeof(Step))]
    public sealed class NewAgnoStepCommand : AgnoCmdlet, IDynamicParameters
    {
        private readonly RetrySettings _retry = new RetrySettings();
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

        /// <inheritdoc/>
        public object GetDynamicParameters() => (_parameters ??= new SettingsParameters(_retry)).Parameters;

        protected override void ProcessRecord() => ForItem(() =>
        {
            _parameters?.Apply();
            var script = StepScript.Capture(this, Name, ScriptBlock, ArgumentList, Function, Module, Variable);
            var step = ScriptStep.Create(Name, script, TimeoutSeconds);
            step.Retry = _retry.Build();
            WriteObject(step);
        });
    }
}
