using System.Management.Automation;

namespace Agno.Commands
{
    /// <summary>
    /// What a step made from a scriptblock takes from the caller, copied when it is made: shared by
    /// New-AgnoStep and Invoke-AgnoParallel's scriptblock branches. See <see cref="SettingsParameters"/>.
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
