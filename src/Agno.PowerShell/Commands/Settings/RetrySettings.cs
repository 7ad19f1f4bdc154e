using System;
using System.Linq;
using System.Management.Automation;
using Agno.Core;

namespace Agno.Commands
{
    /// <summary>
    /// When a failed step, or branch, runs again: shared by New-AgnoStep (the step's own retries) and every
    /// form of Invoke-AgnoParallel (each branch's). See <see cref="SettingsParameters"/>.
    /// </summary>
    public sealed class RetrySettings
    {
        /// <summary>How many times a failure is retried after the first attempt.</summary>
        [Parameter]
        [ValidateRange(0, 1000)]
        public int RetryCount { get; set; }

        /// <summary>The wait, in seconds, before the first retry.</summary>
        [Parameter]
        [ValidateRange(0.0, 86400.0)]
        public double RetryDelaySeconds { get; set; }

        /// <summary>How later waits grow: Exponential (doubling, with jitter) or Fixed.</summary>
        [Parameter]
        public RetryBackoff RetryBackoff { get; set; } = RetryBackoff.Exponential;

        /// <summary>Which failures are retried: exception type names or error ids (wildcards allowed).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        [SupportsWildcards]
        public string[]? RetryOn { get; set; }

        /// <summary>The retry policy these settings make; null when nothing is retried.</summary>
        internal RetryPolicy? Build()
        {
            if (RetryCount == 0) return null;
            var policy = new RetryPolicy { RetryCount = RetryCount, Delay = TimeSpan.FromSeconds(RetryDelaySeconds), Backoff = RetryBackoff };
            if (RetryOn != null)
            {
                var patterns = RetryOn.Select(p => WildcardPattern.Get(p, WildcardOptions.IgnoreCase)).ToArray();
                policy.RetryOn = failure => Names(failure).Any(name => patterns.Any(p => p.IsMatch(name)));
            }
            return policy;
        }

        /// <summary>
        /// What -RetryOn matches a failure by: the type name (short and full) of the exception and of each
        /// exception inside it, and the error ids it carries (a PowerShell error's FullyQualifiedErrorId,
        /// whole and up to its first comma; an Agno error's id).
        /// </summary>
        private static System.Collections.Generic.IEnumerable<string> Names(Exception failure)
        {
            for (var e = failure; e != null; e = e.InnerException)
            {
                yield return e.GetType().Name;
                yield return e.GetType().FullName!;
                if (e is AgnoException agno) yield return agno.ErrorId;
                if (e is IContainsErrorRecord { ErrorRecord: { } record } && record.FullyQualifiedErrorId is { } id)
                {
                    yield return id;
                    int comma = id.IndexOf(',');
                    if (comma > 0) yield return id.Substring(0, comma);
                    // A throw of an exception object keeps it in the record: match its type too.
                    if (record.Exception != null && !ReferenceEquals(record.Exception, e))
                    {
                        yield return record.Exception.GetType().Name;
                        yield return record.Exception.GetType().FullName!;
                    }
                }
            }
        }
    }
}
