using System.Collections.Generic;
using System.Management.Automation;

namespace Agno.Hosting
{
    /// <summary>What a step's pipeline wrote: its output collection, its own results, and whether it ran to its end.</summary>
    internal sealed class StepOutput
    {
        /// <summary>The object the bootstrap writes last: a step that called exit never writes it.</summary>
        internal sealed class EndMarker { }

        public PSDataCollection<PSObject> Collection { get; } = new PSDataCollection<PSObject>();
        public List<object?> Results { get; } = new List<object?>();
        public EndMarker End { get; } = new EndMarker();
        public volatile bool EndReached;
    }
}
