using Agno.Core;

namespace Agno.Hosting
{
    /// <summary>One run of a step's (or reducer's) script: the script, the step's session, the label its records carry, and where it runs.</summary>
    internal sealed class StepRequest
    {
        public StepRequest(StepScript script, AgnoSession? session, string label, object?[]? arguments = null, StepItem? item = null, bool forwardsOutput = true,
            RemoteTarget? target = null)
        {
            Script = script;
            Session = session;
            Label = label;
            Arguments = arguments;
            Item = item;
            ForwardsOutput = forwardsOutput && session != null;
            Target = target;
        }

        public StepScript Script { get; }

        /// <summary>The step's own session ($AgnoSession, and what the state cmdlets act on); null for a reducer.</summary>
        public AgnoSession? Session { get; }

        /// <summary>The name records and errors carry: the step's, or the reducer's.</summary>
        public string Label { get; }

        /// <summary>Arguments that replace the script's captured -ArgumentList (a reducer's base, current, incoming).</summary>
        public object?[]? Arguments { get; }

        /// <summary>The pipeline item the step runs for ($_ in it), or null.</summary>
        public StepItem? Item { get; }

        /// <summary>A step's output goes down the caller's pipeline; a reducer's or a condition's is only its result.</summary>
        public bool ForwardsOutput { get; }

        /// <summary>The other process the step runs in (a host, a PSSession, a child process); null to run it as the invocation's isolation says.</summary>
        public RemoteTarget? Target { get; }
    }
}
