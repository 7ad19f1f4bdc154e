using System;
using System.Collections.Generic;
using System.Management.Automation;
using Agno.Core;

namespace Agno.Commands
{
    /// <summary>
    /// The one place failures become ErrorRecords: an <see cref="AgnoException"/> gives its own stable id
    /// (<c>Agno&lt;Name&gt;</c>), its kind (the category) and its target; an engine argument check
    /// becomes an <see cref="AgnoArgumentException"/>; an error a step's script raised keeps its own record.
    /// </summary>
    internal static class AgnoErrors
    {
        public static ErrorRecord FromException(Exception exception)
        {
            switch (exception)
            {
                case AgnoException e: return new ErrorRecord(e, e.ErrorId, Category(e), e.Target);
                case ArgumentException e: return FromException(new AgnoArgumentException(Clean(e), null, e));
                case OperationCanceledException e: return new ErrorRecord(e, "AgnoStopped", ErrorCategory.OperationStopped, null);
                case RuntimeException e when e.ErrorRecord != null: return new ErrorRecord(e.ErrorRecord, e);
                default: return new ErrorRecord(exception, "AgnoFailed", ErrorCategory.NotSpecified, null);
            }
        }

        /// <summary>An argument error about <paramref name="target"/> (a branch, a step, a key), from an engine check.</summary>
        public static AgnoArgumentException Argument(ArgumentException e, object? target) => new AgnoArgumentException(Clean(e), target, e);

        /// <summary>A non-terminating error per failed branch that ErrorPolicy Continue let the run go on past.</summary>
        public static IEnumerable<ErrorRecord> ContinuedFailures(RunRecord run)
        {
            foreach (var node in run.Failures)
            {
                if (node.Error != null) yield return FromException(node.Error);
            }
        }

        private static ErrorCategory Category(AgnoException e) => e switch
        {
            // A step failed as its script did: its own error's category says more than "failed".
            StepFailedException { InnerException: TimedOutException _ } => ErrorCategory.OperationTimeout,
            StepFailedException { InnerException: RuntimeException r } when r.ErrorRecord != null && r.ErrorRecord.CategoryInfo.Category != ErrorCategory.NotSpecified
                => r.ErrorRecord.CategoryInfo.Category,
            // A step that failed on Agno's own terms (another host unreachable, its process gone) says what kind.
            StepFailedException { InnerException: AgnoException inner } => Category(inner),
            StepFailedException _ => ErrorCategory.OperationStopped,
            _ => e.Kind switch
            {
                AgnoErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
                AgnoErrorKind.NotFound => ErrorCategory.ObjectNotFound,
                AgnoErrorKind.PermissionDenied => ErrorCategory.PermissionDenied,
                AgnoErrorKind.InvalidData => ErrorCategory.InvalidData,
                AgnoErrorKind.ResourceUnavailable => ErrorCategory.ResourceUnavailable,
                AgnoErrorKind.WriteFailed => ErrorCategory.WriteError,
                AgnoErrorKind.LimitExceeded => ErrorCategory.LimitsExceeded,
                AgnoErrorKind.Conflict => ErrorCategory.InvalidResult,
                AgnoErrorKind.Timeout => ErrorCategory.OperationTimeout,
                AgnoErrorKind.Stopped => ErrorCategory.OperationStopped,
                _ => ErrorCategory.NotSpecified,
            },
        };

        /// <summary>The message without .NET's "(Parameter 'x')": the parameter is the engine's, not the user's.</summary>
        private static string Clean(ArgumentException e)
        {
            var suffix = $" (Parameter '{e.ParamName}')";
            return e.ParamName != null && e.Message.EndsWith(suffix, StringComparison.Ordinal) ? e.Message.Substring(0, e.Message.Length - suffix.Length) : e.Message;
        }
    }
}
