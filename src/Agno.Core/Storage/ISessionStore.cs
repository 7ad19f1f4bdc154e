using System;
using System.Collections.Generic;

namespace Agno.Core
{
    /// <summary>Where sessions live between processes: <see cref="InMemorySessionStore"/> or <see cref="SqliteSessionStore"/>.</summary>
    public interface ISessionStore : IDisposable
    {
        /// <summary>The store's file, or a name for a store in memory.</summary>
        string Location { get; }

        /// <summary>
        /// The session with <paramref name="sessionId"/> (compared case-insensitively; a new GUID when
        /// null), created when the store has none. Its state is bound to the store: it shows what is
        /// committed and every change is committed there first; its history holds the store's last
        /// <paramref name="historyLimit"/> runs. A given <paramref name="input"/> replaces the stored one.
        /// Refuses a session stored under another UserId, or stored with one and opened without it, or the reverse.
        /// </summary>
        /// <exception cref="ArgumentException"><paramref name="sessionId"/> is empty or white space.</exception>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="historyLimit"/> is less than 1.</exception>
        /// <exception cref="StoreException">The UserId does not match (AgnoSessionUserMismatch), or the store cannot be read or written.</exception>
        /// <exception cref="ValueRefusedException"><paramref name="input"/> cannot be copied or saved.</exception>
        AgnoSession OpenSession(string? sessionId, string? userId = null, object? input = null, IValueCopier? copier = null,
            int historyLimit = AgnoSession.DefaultHistoryLimit);

        /// <summary>The sessions the store holds, ordered by id (case-insensitive); with <paramref name="userId"/>, only those stored with that UserId (compared exactly).</summary>
        /// <exception cref="StoreException">The store cannot be read.</exception>
        IReadOnlyList<SessionInfo> ListSessions(string? userId = null);

        /// <summary>The last <paramref name="last"/> runs of a session, oldest first, as the store recorded them; the UserId rule of <see cref="OpenSession"/> applies.</summary>
        /// <exception cref="ArgumentException"><paramref name="sessionId"/> is null, empty or white space.</exception>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="last"/> is less than 1.</exception>
        /// <exception cref="StoreException">The store has no such session (AgnoSessionNotFound), the UserId does not match, or the store cannot be read.</exception>
        IReadOnlyList<RunRecord> ListRuns(string sessionId, string? userId = null, int last = AgnoSession.DefaultHistoryLimit);

        /// <summary>Deletes the session (compared case-insensitively), its state and its runs; false when there was none.</summary>
        bool RemoveSession(string sessionId);

        /// <summary>
        /// Compacts the store: forgets the record of removed keys (a session object that has not looked
        /// since then reloads its state whole, once) and gives back the space of deleted data.
        /// </summary>
        void Optimize();
    }
}
