namespace Agno.Core
{
    /// <summary>
    /// A key that another commit (another process, or another session object) changed since the
    /// state a commit was made against, so that both changed it: resolved by the session's merge
    /// rules exactly as two parallel branches are, the other commit counting as the earlier branch.
    /// </summary>
    public sealed class StoreConflict
    {
        /// <summary>A conflict on <paramref name="key"/> of session <paramref name="sessionId"/>.</summary>
        /// <param name="sessionId">The session.</param>
        /// <param name="key">The key both commits changed.</param>
        /// <param name="otherVersion">The stored version of the other commit's change.</param>
        /// <param name="strategy">The session's strategy, which resolved it unless a reducer did.</param>
        /// <param name="reducer">The name of the key's reducer, which combined both changes; null when none.</param>
        public StoreConflict(string sessionId, string key, long otherVersion, MergeStrategy strategy, string? reducer)
        {
            SessionId = sessionId;
            Key = key;
            OtherVersion = otherVersion;
            Strategy = strategy;
            Reducer = reducer;
        }

        /// <summary>The session.</summary>
        public string SessionId { get; }

        /// <summary>The key both commits changed.</summary>
        public string Key { get; }

        /// <summary>The stored version of the other commit's change.</summary>
        public long OtherVersion { get; }

        /// <summary>The session's strategy.</summary>
        public MergeStrategy Strategy { get; }

        /// <summary>The key's reducer, when one combined both changes.</summary>
        public string? Reducer { get; }

        /// <summary>How the conflict was resolved, in words.</summary>
        public string Resolution => Reducer != null
            ? $"the reducer {Reducer} combined both changes"
            : Strategy switch
            {
                MergeStrategy.LastWriteWins => "this commit's value was kept (LastWriteWins)",
                MergeStrategy.FirstWriteWins => "the other commit's value was kept (FirstWriteWins)",
                _ => "nothing was committed (Fail)",
            };

        /// <summary>The one wording of a conflict, for warnings and errors: starts with AgnoStoreConflict, names the key and the other commit's version.</summary>
        public string Message =>
            $"AgnoStoreConflict: key '{Key}' of session '{SessionId}' was changed by another commit (version {OtherVersion}) since this change read it; {Resolution}.";

        /// <summary>The conflict's <see cref="Message"/>.</summary>
        public override string ToString() => Message;
    }
}
