using System.Management.Automation;

namespace Agno.Commands
{
    /// <summary>
    /// What the steps Invoke-AgnoParallel makes from scriptblocks take from the caller, as New-AgnoStep's
    /// parameters of the same names do (Structure.Tests.ps1 keeps the two in step). See <see cref="SettingsParameters"/>.
    /// </summary>
    public sealed class StepScriptSettings
    {
        /// <summary>Arguments for the scriptblock's param() block, copied now.</summary>
        [Parameter]
        [AllowNull]
        [AllowEmptyCollection]
        public object?[]? ArgumentList { get; set; }

        /// <summary>Caller functions to define in the step's runspace (wildcards allowed).</summary>
        [Parameter]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[]? Function { get; set; }

        /// <summary>Modules to import in the step's runspace.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[]? Module { get; set; }

        /// <summary>Caller variables to copy into the step's runspace (wildcards allowed).</summary>
        [Parameter]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[]? Variable { get; set; }
    }
}
