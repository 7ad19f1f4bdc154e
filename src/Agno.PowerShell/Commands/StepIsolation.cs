namespace Agno.Commands
{
    /// <summary>Where steps run.</summary>
    public enum StepIsolation
    {
        /// <summary>Each step in its own pooled runspace; parallel branches run concurrently.</summary>
        Runspace,
        /// <summary>In the caller's runspace, one after another, so that Pester mocks, breakpoints and caller functions work.</summary>
        Inline,
    }
}
