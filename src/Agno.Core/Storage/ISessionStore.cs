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
        /// The session with <paramref name="sessionId"/> (a new GUID when null), created when the store has
        /// none. Its state is bound to the store: every change is committed there first. Refuses a
        /// session whose stored UserId differs from <paramref name="userId"/>.
        /// </summary>
        AgnoSession OpenSession(string? sessionId, string? userId = null, object? input = null, IValueCopier? copier = null);

        IReadOnlyList<SessionInfo> ListSessions(string? userId = null);

        /// <summary>Deletes the session, its state and its runs; false when there was none.</summary>
        bool RemoveSession(string sessionId);
    }
}
