using System;

namespace Agno.Core
{
    /// <summary>A stored session, as a store lists it.</summary>
    public sealed class SessionInfo
    {
        /// <summary>A listing of session <paramref name="sessionId"/> of store <paramref name="store"/>, as <see cref="ISessionStore.ListSessions"/> makes it.</summary>
        public SessionInfo(string sessionId, string? userId, int keyCount, DateTimeOffset createdAt, DateTimeOffset updatedAt, long version, string? lastRunStatus, string store)
        {
            SessionId = sessionId;
            UserId = userId;
            KeyCount = keyCount;
            CreatedAt = createdAt;
            UpdatedAt = updatedAt;
            Version = version;
            LastRunStatus = lastRunStatus;
            Store = store;
        }

        /// <summary>The session's id, as first written.</summary>
        public string SessionId { get; }

        /// <summary>The user it belongs to; null when it was stored without one.</summary>
        public string? UserId { get; }

        /// <summary>How many keys its state holds.</summary>
        public int KeyCount { get; }

        /// <summary>When the store first saved it.</summary>
        public DateTimeOffset CreatedAt { get; }

        /// <summary>When it was last written to.</summary>
        public DateTimeOffset UpdatedAt { get; }

        /// <summary>How many commits the session has had.</summary>
        public long Version { get; }

        /// <summary>The status of its latest run (a <see cref="NodeStatus"/> name; Running for one that never finished); null when it has none.</summary>
        public string? LastRunStatus { get; }

        /// <summary>The store's <see cref="ISessionStore.Location"/>.</summary>
        public string Store { get; }
    }
}
