using System.Collections.Generic;
using System.Linq;

namespace Agno.Core
{
    /// <summary>A commit met changes another commit made to the same keys, and the session's strategy is Fail: nothing was committed.</summary>
    public sealed class StoreConflictException : AgnoException
    {
        /// <summary>An error for the refused commit to session <paramref name="sessionId"/>, naming each key no reducer combined and the version that changed it.</summary>
        public StoreConflictException(string sessionId, IReadOnlyList<StoreConflict> conflicts)
            : base($"The commit to session '{sessionId}' failed (merge strategy Fail): " +
                   string.Join("; ", conflicts.Where(c => c.Reducer == null).Select(c => $"key '{c.Key}' was changed by another commit (version {c.OtherVersion})")) +
                   " since this change read it. Nothing was committed. Run it again to start from the latest version, add a reducer for the key, or choose LastWriteWins or FirstWriteWins.")
        {
            SessionId = sessionId;
            Conflicts = conflicts;
        }

        /// <summary>The session whose commit was refused.</summary>
        public string SessionId { get; }

        /// <summary>Every conflict of the refused commit (those a reducer would have combined too).</summary>
        public IReadOnlyList<StoreConflict> Conflicts { get; }

        /// <summary>The same id as a failed merge of branches: the same failure, between processes.</summary>
        public override string ErrorId => "AgnoMergeConflict";

        /// <inheritdoc/>
        public override AgnoErrorKind Kind => AgnoErrorKind.Conflict;

        /// <inheritdoc/>
        public override object? Target => SessionId;
    }
}
