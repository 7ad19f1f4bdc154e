using System;

namespace Agno.Core
{
    /// <summary>A node, or a whole run, overran its time limit and was stopped; its changes were discarded.</summary>
    public sealed class TimedOutException : AgnoException
    {
        /// <summary>
        /// An error for <paramref name="nodeName"/>, which overran <paramref name="timeout"/>: its own limit, or with
        /// <paramref name="wholeRun"/> the limit of the run started on it (<see cref="RunOptions.Timeout"/>);
        /// <paramref name="location"/> says where a step ran when not in this process (<c>on host 'web1'</c>).
        /// </summary>
        public TimedOutException(string nodeName, TimeSpan timeout, bool wholeRun = false, string? location = null)
            : base(wholeRun
                ? $"The run of '{nodeName}' exceeded its timeout of {Seconds(timeout)} and was stopped. Steps not completed left no changes."
                : $"'{nodeName}'{(location == null ? "" : " " + location)} exceeded its timeout of {Seconds(timeout)} and was stopped. Its changes were discarded; raise -TimeoutSeconds if it needs longer.")
        {
            NodeName = nodeName;
            Timeout = timeout;
        }

        /// <summary>The node that overran its limit; for a whole run, the node the run was started on.</summary>
        public string NodeName { get; }

        /// <summary>The limit it overran.</summary>
        public TimeSpan Timeout { get; }

        /// <inheritdoc/>
        public override string ErrorId => "AgnoTimedOut";

        /// <inheritdoc/>
        public override AgnoErrorKind Kind => AgnoErrorKind.Timeout;

        /// <inheritdoc/>
        public override object? Target => NodeName;

        private static string Seconds(TimeSpan t) => $"{t.TotalSeconds:0.###} s";
    }
}
