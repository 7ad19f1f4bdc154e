using System;

namespace Agno.Core
{
    /// <summary>A reducer threw while merging a key; the merge failed as a whole and nothing was merged.</summary>
    public sealed class ReducerFailedException : AgnoException
    {
        /// <summary>An error for reducer <paramref name="reducer"/>, which threw <paramref name="inner"/> while combining branch <paramref name="branch"/>'s value of <paramref name="key"/>.</summary>
        public ReducerFailedException(string key, string reducer, string branch, Exception inner)
            : base($"The reducer '{reducer}' for key '{key}' failed on branch '{branch}': {inner.Message} Nothing was merged.", inner)
        {
            Key = key;
            Reducer = reducer;
            Branch = branch;
        }

        /// <summary>The key being merged.</summary>
        public string Key { get; }

        /// <summary>The reducer's name.</summary>
        public string Reducer { get; }

        /// <summary>The branch whose value it was combining.</summary>
        public string Branch { get; }

        /// <inheritdoc/>
        public override string ErrorId => "AgnoReducerFailed";

        /// <inheritdoc/>
        public override AgnoErrorKind Kind => AgnoErrorKind.Conflict;

        /// <inheritdoc/>
        public override object? Target => Key;
    }
}
