using System.Collections.Generic;
using System.Management.Automation;

namespace Agno.Hosting
{
    /// <summary>What a step's pipeline wrote: its output collection, its own results, and whether it ran to its end.</summary>
    internal class StepOutput
    {
        /// <summary>The object the bootstrap writes last: a step that called exit never writes it.</summary>
        internal sealed class EndMarker { }

        public PSDataCollection<PSObject> Collection { get; } = new PSDataCollection<PSObject>();
        public List<object?> Results { get; } = new List<object?>();
        public EndMarker End { get; } = new EndMarker();
        public volatile bool EndReached;

        /// <summary>True (and <see cref="EndReached"/> set) when <paramref name="item"/> is the end of the step's output, not output.</summary>
        public virtual bool TakeEnd(object? item)
        {
            if (!ReferenceEquals(item, End)) return false;
            EndReached = true;
            return true;
        }

        /// <summary>The failure of a step whose output has no end: it called exit.</summary>
        public static RuntimeException CalledExit(string label) => new RuntimeException(
            $"{label} called exit (or break or continue outside a loop), which ends a step without saying whether it succeeded: it fails, and its changes are discarded. Use return to end a step early, or throw to fail it.");
    }
}
