using System;
using System.Collections.Generic;
using System.Linq;

namespace Agno.Core
{
    /// <summary>A parallel node's branches failed (ErrorPolicy Stop): the others were cancelled and nothing was merged.</summary>
    public sealed class ParallelFailedException : AgnoException
    {
        /// <summary>An error for parallel node <paramref name="nodeName"/> naming each failed branch and its error; the first failure's error is the inner exception.</summary>
        public ParallelFailedException(string nodeName, IReadOnlyList<BranchFailure> failures)
            : base($"Parallel '{nodeName}' failed: {failures.Count} branch(es) failed: " +
                   string.Join("; ", failures.Select(f => $"'{f.Branch}': {f.Error.Message.TrimEnd('.')}")) +
                   ". The other branches were cancelled and nothing was merged.",
                   failures.Count > 0 ? failures[0].Error : null)
        {
            NodeName = nodeName;
            Failures = failures;
        }

        /// <summary>The parallel node's name.</summary>
        public string NodeName { get; }

        /// <summary>Every failed branch, in branch order, each with its own error.</summary>
        public IReadOnlyList<BranchFailure> Failures { get; }

        /// <summary>Each failed branch's error, in branch order.</summary>
        public IEnumerable<Exception> InnerExceptions => Failures.Select(f => f.Error);

        /// <inheritdoc/>
        public override string ErrorId => "AgnoParallelFailed";

        /// <inheritdoc/>
        public override AgnoErrorKind Kind => AgnoErrorKind.Stopped;

        /// <inheritdoc/>
        public override object? Target => NodeName;
    }
}
