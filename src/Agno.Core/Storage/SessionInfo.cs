using System;

namespace Agno.Core
{
    /// <summary>A stored session, as a store lists it.</summary>
    public sealed class SessionInfo
    {
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

        public string SessionId { get; }
        public string? UserId { get; }
        public int KeyCount { get; }
        public DateTimeOffset CreatedAt { get; }
        public DateTimeOffset UpdatedAt { get; }

        /// <summary>How many commits the session has had.</summary>
        public long Version { get; }

        public string? LastRunStatus { get; }
        public string Store { get; }
    }
}
