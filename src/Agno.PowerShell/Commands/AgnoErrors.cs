using System.Collections.Generic;
using System.Management.Automation;
using System;
using Agno.Core;

namespace Agno.Commands
{
    /// <summary>The one place engine failures become ErrorRecords with stable ids, categories and targets.</summary>
    internal static class AgnoErrors
    {
        public static ErrorRecord Record(Exception exception, string errorId, ErrorCategory category, object? target) =>
            new ErrorRecord(exception, errorId, category, target);

        /// <summary>A bad argument, and what in the user's input it is about (a branch, a step, a key).</summary>
        public sealed class TargetedArgumentException : ArgumentException
        {
            public TargetedArgumentException(ArgumentException inner, object target) : base(Clean(inner), inner) { Target = target; }
            public object Target { get; }
        }

        public static ErrorRecord FromException(Exception exception)
        {
            switch (exception)
            {
                case TargetedArgumentException e: return new ErrorRecord(e, "AgnoInvalidArgument", ErrorCategory.InvalidArgument, e.Target);
                case ValueRefusedException e: return Record(e, e.ErrorId, ErrorCategory.InvalidArgument, e.Key);
                case StateKeyNotFoundException e: return Record(e, e.ErrorId, ErrorCategory.ObjectNotFound, e.Key);
                case StepFailedException e: return Record(e, e.ErrorId, InnerCategory(e.InnerException), e.StepName);
                case ParallelFailedException e: return Record(e, e.ErrorId, ErrorCategory.OperationStopped, e.NodeName);
                case MergeConflictException e: return Record(e, e.ErrorId, ErrorCategory.InvalidResult, e.NodeName);
                case ReducerFailedException e: return Record(e, e.ErrorId, ErrorCategory.InvalidResult, e.Key);
                case StoreConflictException e: return Record(e, e.ErrorId, ErrorCategory.InvalidResult, e.SessionId);
                case StoreException e: return Record(e, e.ErrorId, e.ErrorId switch
                {
                    "AgnoSessionUserMismatch" or "AgnoStoreAccessDenied" => ErrorCategory.PermissionDenied,
                    "AgnoStoreNotFound" or "AgnoStoreFolderNotFound" or "AgnoSessionNotFound" or "AgnoSessionRemoved" => ErrorCategory.ObjectNotFound,
                    "AgnoStoreIsFolder" => ErrorCategory.InvalidArgument,
                    "AgnoStoreNotSqlite" or "AgnoStoreUnreadable" or "AgnoStoreValueUnreadable" or "AgnoStoreSchemaNewer" or "AgnoStoreMigrationFailed" => ErrorCategory.InvalidData,
                    "AgnoStoreCreateFailed" => ErrorCategory.WriteError,
                    _ => ErrorCategory.ResourceUnavailable, // busy, write failed, deleted, replaced or closed while open
                }, null);
                case TimedOutException e: return Record(e, e.ErrorId, ErrorCategory.OperationTimeout, e.NodeName);
                case ArgumentException e:
                    return new ErrorRecord(e, "AgnoInvalidArgument", ErrorCategory.InvalidArgument, null) { ErrorDetails = new ErrorDetails(Clean(e)) };
                case OperationCanceledException e: return Record(e, "AgnoStopped", ErrorCategory.OperationStopped, null);
                case RuntimeException e when e.ErrorRecord != null: return new ErrorRecord(e.ErrorRecord, e);
                default: return Record(exception, "AgnoFailed", ErrorCategory.NotSpecified, null);
            }
        }

        /// <summary>The message without .NET's "(Parameter 'x')": the parameter is the engine's, not the user's.</summary>
        private static string Clean(ArgumentException e)
        {
            var suffix = $" (Parameter '{e.ParamName}')";
            return e.ParamName != null && e.Message.EndsWith(suffix, StringComparison.Ordinal) ? e.Message.Substring(0, e.Message.Length - suffix.Length) : e.Message;
        }

        private static ErrorCategory InnerCategory(Exception? inner) => inner switch
        {
            TimedOutException _ => ErrorCategory.OperationTimeout,
            RuntimeException r when r.ErrorRecord != null && r.ErrorRecord.CategoryInfo.Category != ErrorCategory.NotSpecified => r.ErrorRecord.CategoryInfo.Category,
            _ => ErrorCategory.OperationStopped,
        };

        /// <summary>A non-terminating error per failed branch that ErrorPolicy Continue let the run go on past.</summary>
        public static IEnumerable<ErrorRecord> ContinuedFailures(RunRecord run)
        {
            foreach (var node in run.Failures)
            {
                if (node.Error != null) yield return FromException(node.Error);
            }
        }
    }
}
