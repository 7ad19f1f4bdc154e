using System;

namespace Agno.Core
{
    /// <summary>
    /// When a failed step (or parallel branch) runs again. Each attempt starts from the same state the
    /// first one did, on a fresh copy: what a failed attempt wrote is never kept. Timeouts and stops are
    /// never retried by default: a stop ends the run, and a node's timeout covers all of its attempts.
    /// </summary>
    public sealed class RetryPolicy
    {
        /// <summary>The longest single wait: what Task.Delay accepts (about 24 days).</summary>
        private static readonly TimeSpan LongestDelay = TimeSpan.FromMilliseconds(int.MaxValue);

        private static readonly Random Jitter = new Random();

        private int _retryCount;
        private TimeSpan _delay;

        /// <summary>How many times a failure is retried after the first attempt (0: never; so at most RetryCount + 1 attempts).</summary>
        public int RetryCount
        {
            get => _retryCount;
            set => _retryCount = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "The retry count cannot be negative.");
        }

        /// <summary>The wait before the first retry (default: none); <see cref="Backoff"/> says how later waits grow.</summary>
        public TimeSpan Delay
        {
            get => _delay;
            set => _delay = value >= TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "The retry delay cannot be negative.");
        }

        /// <summary>How the wait grows from one retry to the next (default: <see cref="RetryBackoff.Exponential"/>, with jitter).</summary>
        public RetryBackoff Backoff { get; set; } = RetryBackoff.Exponential;

        /// <summary>
        /// Which failures are retried; null (the default) retries any failure but a <see cref="TimedOutException"/>.
        /// It gets the failure itself: a step's body's own exception, or the error a branch failed with.
        /// A stop (cancellation of the run) is never retried, whatever this says.
        /// </summary>
        public Func<Exception, bool>? RetryOn { get; set; }

        /// <summary>Whether <paramref name="failure"/> of attempt <paramref name="attempt"/> (from 1) is tried again.</summary>
        internal bool Retries(Exception failure, int attempt) =>
            attempt <= RetryCount && (RetryOn?.Invoke(failure) ?? !(failure is TimedOutException));

        /// <summary>The wait before retry <paramref name="retry"/> (from 1), given a uniform random number in [0, 1).</summary>
        public TimeSpan DelayBefore(int retry, double random)
        {
            if (retry < 1) throw new ArgumentOutOfRangeException(nameof(retry), retry, "Retries are numbered from 1.");
            if (Backoff == RetryBackoff.Fixed || Delay == TimeSpan.Zero) return Delay;
            // 2^(retry - 1), capped well before the double loses whole milliseconds.
            double factor = Math.Pow(2, Math.Min(retry - 1, 40)) * (0.75 + 0.5 * random);
            double ms = Delay.TotalMilliseconds * factor;
            return ms >= LongestDelay.TotalMilliseconds ? LongestDelay : TimeSpan.FromMilliseconds(ms);
        }

        /// <summary>The wait before retry <paramref name="retry"/>, with a fresh random jitter.</summary>
        internal TimeSpan NextDelay(int retry)
        {
            double random;
            lock (Jitter) random = Jitter.NextDouble();
            return DelayBefore(retry, random);
        }

        /// <summary>The retry count, backoff and first delay, for display.</summary>
        public override string ToString() => $"{RetryCount} retries, {Backoff} from {Delay.TotalSeconds:0.###} s";
    }
}
