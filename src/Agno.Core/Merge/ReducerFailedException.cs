using System;

namespace Agno.Core
{
    /// <summary>A reducer threw while merging a key; the merge failed as a whole and nothing was merged.</summary>
    public sealed class ReducerFailedException : AgnoException
    {
        public ReducerFailedException(string key, string reducer, string branch, Exception inner)
            : base($"The reducer '{reducer}' for key '{key}' failed on branch '{branch}': {inner.Message} Nothing was merged.", inner)
        {
            Key = key;
            Reducer = reducer;
            Branch = branch;
        }

        public string Key { get; }
        public string Reducer { get; }
        public string Branch { get; }
        public override string ErrorId => "AgnoReducerFailed";
        public override AgnoErrorKind Kind => AgnoErrorKind.Conflict;
        public override object? Target => Key;
    }
}
