namespace Agno.Commands
{
    /// <summary>Where steps run.</summary>
    public enum StepIsolation
    {
        /// <summary>Each step in its own pooled runspace; parallel branches run concurrently.</summary>
        Runspace,
        /// <summary>In the caller's runspace, one after another, so that Pester mocks, breakpoints and caller functions work.</summary>
        Inline,
        /// <summary>
        /// Each step in a child pwsh process on this machine (one per running step, reused by later steps),
        /// over PowerShell remoting: a step that crashes its process fails alone.
        /// </summary>
        Process,
    }
}
