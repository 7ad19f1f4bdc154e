using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

namespace Agno.Core
{
    /// <summary>The one attempt loop: runs an attempt, records it, and on a failure the policy retries, waits and runs it again.</summary>
    internal static class Retrying
    {
        /// <summary>
        /// Runs <paramref name="attempt"/> (given its number, from 1) until it succeeds or its failure is not
        /// retried; <paramref name="cause"/> says what of a failure the policy judges. Without a policy it
        /// runs once and records nothing. A stop (cancellation of <paramref name="cancellationToken"/>) ends it.
        /// </summary>
        public static async Task<T> RunAsync<T>(RetryPolicy? policy, NodeRecord record, Func<int, Task<T>> attempt,
            Func<Exception, Exception> cause, CancellationToken cancellationToken)
        {
            if (policy == null || policy.RetryCount == 0) return await attempt(1).ConfigureAwait(false);
            for (int number = 1; ; number++)
            {
                var startedAt = DateTimeOffset.Now;
                var clock = Stopwatch.StartNew();
                try
                {
                    var result = await attempt(number).ConfigureAwait(false);
                    record.AddAttempt(new AttemptRecord(number, startedAt, clock.Elapsed, null));
                    return result;
                }
                catch (Exception e)
                {
                    record.AddAttempt(new AttemptRecord(number, startedAt, clock.Elapsed, e));
                    if (cancellationToken.IsCancellationRequested || e is OperationCanceledException || !policy.Retries(cause(e), number)) throw;
                }
                await Task.Delay(policy.NextDelay(number), cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
