using System;
using System.Collections.Generic;
using System.Linq;

namespace Agno.Core
{
    /// <summary>A store in this process's memory: sessions outlive the objects that opened them, not the process.</summary>
    public sealed class InMemorySessionStore : SessionStoreBase
    {
        private sealed class Session
        {
            public string? UserId;
            public long Version;
            public object? Input;
            public DateTimeOffset CreatedAt = DateTimeOffset.Now;
            public DateTimeOffset UpdatedAt = DateTimeOffset.Now;
            public readonly Dictionary<string, KeyValuePair<string, object?>> Values = new Dictionary<string, KeyValuePair<string, object?>>(StringComparer.OrdinalIgnoreCase);
        }

        private sealed class Run
        {
            public string SessionId = "";
            public string Name = "";
            public string Status = "";
            public long Order;
            public readonly HashSet<string> Completed = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        }

        private readonly object _lock = new object();
        private readonly Dictionary<string, Session> _sessions = new Dictionary<string, Session>(StringComparer.Ordinal);
        private readonly Dictionary<Guid, Run> _runs = new Dictionary<Guid, Run>();
        private long _runOrder;

        public InMemorySessionStore(string name = "memory") { Location = name; }

        public override string Location { get; }

        protected override T InTransaction<T>(Func<T> work)
        {
            lock (_lock) return work();
        }

        protected override SessionRow? ReadSession(string sessionId) =>
            _sessions.TryGetValue(sessionId, out var s) ? new SessionRow(sessionId, s.UserId, s.Version, s.Input) : null;

        protected override void InsertSession(string sessionId, string? userId, object? input) =>
            _sessions[sessionId] = new Session { UserId = userId, Input = input };

        protected override void SetVersion(string sessionId, long version)
        {
            var s = _sessions[sessionId];
            s.Version = version;
            s.UpdatedAt = DateTimeOffset.Now;
        }

        protected override bool TryReadValue(string sessionId, string key, out object? value)
        {
            var found = _sessions[sessionId].Values.TryGetValue(key, out var entry);
            value = entry.Value;
            return found;
        }

        protected override IReadOnlyDictionary<string, object?> ReadAllValues(string sessionId) =>
            _sessions[sessionId].Values.Values.ToDictionary(e => e.Key, e => e.Value, StringComparer.OrdinalIgnoreCase);

        protected override void WriteValue(string sessionId, string key, object? value)
        {
            var values = _sessions[sessionId].Values;
            values[key] = new KeyValuePair<string, object?>(values.TryGetValue(key, out var old) ? old.Key : key, value);
        }

        protected override void DeleteValue(string sessionId, string key) => _sessions[sessionId].Values.Remove(key);

        protected override void SaveRun(string sessionId, Guid runId, string name, string status)
        {
            if (!_runs.TryGetValue(runId, out var run))
            {
                _runs[runId] = run = new Run { SessionId = sessionId, Name = name, Order = ++_runOrder };
            }
            run.Status = status;
        }

        protected override void AddCompletedNode(Guid runId, string nodeName)
        {
            if (_runs.TryGetValue(runId, out var run)) run.Completed.Add(nodeName);
        }

        protected override (Guid RunId, string Status)? LatestRun(string sessionId, string name)
        {
            var latest = _runs.Where(r => r.Value.SessionId == sessionId && string.Equals(r.Value.Name, name, StringComparison.OrdinalIgnoreCase))
                .OrderByDescending(r => r.Value.Order).FirstOrDefault();
            return latest.Value == null ? null : (latest.Key, latest.Value.Status);
        }

        protected override IReadOnlyCollection<string> CompletedNodes(Guid runId) =>
            _runs.TryGetValue(runId, out var run) ? run.Completed.ToList() : new List<string>();

        public override IReadOnlyList<SessionInfo> ListSessions(string? userId = null)
        {
            lock (_lock)
            {
                return _sessions.Where(s => userId == null || s.Value.UserId == userId)
                    .Select(s => new SessionInfo(s.Key, s.Value.UserId, s.Value.Values.Count, s.Value.CreatedAt, s.Value.UpdatedAt, s.Value.Version,
                        _runs.Values.Where(r => r.SessionId == s.Key).OrderByDescending(r => r.Order).FirstOrDefault()?.Status, Location))
                    .OrderBy(s => s.SessionId, StringComparer.Ordinal).ToList();
            }
        }

        public override bool RemoveSession(string sessionId)
        {
            lock (_lock)
            {
                foreach (var runId in _runs.Where(r => r.Value.SessionId == sessionId).Select(r => r.Key).ToList()) _runs.Remove(runId);
                return _sessions.Remove(sessionId);
            }
        }
    }
}
