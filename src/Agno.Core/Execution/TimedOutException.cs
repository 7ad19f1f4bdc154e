using System;

namespace Agno.Core
{
    /// <summary>A node, or a whole run, overran its time limit and was stopped; its changes were discarded.</summary>
    public sealed class TimedOutException : AgnoException
    {
        public TimedOutException(string nodeName, TimeSpan timeout, bool wholeRun = false)
            : base(wholeRun
                ? $"The run of '{nodeName}' exceeded its timeout of {Seconds(timeout)} and was stopped. Steps not completed left no changes."
                : $"'{nodeName}' exceeded its timeout of {Seconds(timeout)} and was stopped. Its changes were discarded; raise -TimeoutSeconds if it needs longer.")
        {
            NodeName = nodeName;
            Timeout = timeout;
        }

        public string NodeName { get; }
        public TimeSpan Timeout { get; }
        public override string ErrorId => "AgnoTimedOut";
        public override AgnoErrorKind Kind => AgnoErrorKind.Timeout;
        public override object? Target => NodeName;

        private static string Seconds(TimeSpan t) => $"{t.TotalSeconds:0.###} s";
    }
}
