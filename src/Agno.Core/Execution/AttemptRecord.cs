using System;

namespace Agno.Core
{
    /// <summary>One attempt of a node that has a <see cref="RetryPolicy"/>: when it started, how long it took, and why it failed.</summary>
    public sealed class AttemptRecord
    {
        internal AttemptRecord(int number, DateTimeOffset startedAt, TimeSpan duration, Exception? error)
        {
            Number = number;
            StartedAt = startedAt;
            Duration = duration;
            Error = error;
        }

        /// <summary>The attempt's number, from 1.</summary>
        public int Number { get; }

        /// <summary>When the attempt started.</summary>
        public DateTimeOffset StartedAt { get; }

        /// <summary>How long the attempt ran.</summary>
        public TimeSpan Duration { get; }

        /// <summary>Why the attempt failed; null for the attempt that completed.</summary>
        public Exception? Error { get; }

        /// <summary>The attempt's number and outcome (its error's message), for display.</summary>
        public override string ToString() => Error == null ? $"Attempt {Number}: completed" : $"Attempt {Number}: {Error.Message}";
    }
}
