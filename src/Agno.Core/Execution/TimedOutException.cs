using System;

namespace Agno.Core
{
    /// <summary>A node, or a whole run, overran its time limit and was stopped; its changes were discarded.</summary>
    public sealed class TimedOutException : AgnoException
    {
        /// <summary>
        /// <paramref name="nodeName"/> (or the whole run of it, when <paramref name="wholeRun"/>) overran
        /// <paramref name="timeout"/>; <paramref name="location"/> says where a step ran when not in this process (<c>on host 'web1'</c>).
        /// </summary>
        public TimedOutException(string nodeName, TimeSpan timeout, bool wholeRun = false, string? location = null)
            : base(wholeRun
                ? $"The run of '{nodeName}' exceeded its timeout of {Seconds(timeout)} and was stopped. Steps not completed left no changes."
                : $"'{nodeName}'{(location == null ? "" : " " + location)} exceeded its timeout of {Seconds(timeout)} and was stopped. Its changes were discarded; raise -TimeoutSeconds if it needs longer.")
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
