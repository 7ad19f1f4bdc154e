using System;
using System.Collections.Concurrent;
using System.Collections.Generic;

namespace Agno.Core
{
    /// <summary>
    /// The context a workflow runs in (the seed's ExecutionContext): ids, input, output, the session
    /// state, metadata and the history of runs. A step receives a child session whose
    /// <see cref="State"/> is the step's own fork.
    /// </summary>
    public sealed class AgnoSession
    {
        private readonly List<RunRecord> _history;

        private AgnoSession(string sessionId, string? userId, object? input, AgnoState state,
            ConcurrentDictionary<string, object?> metadata, List<RunRecord> history, AgnoSession? parent, string? nodeName, IRunJournal? journal)
        {
            Journal = journal;
            SessionId = sessionId;
            UserId = userId;
            Input = input;
            State = state;
            Metadata = metadata;
            _history = history;
            Parent = parent;
            NodeName = nodeName;
        }

        /// <summary>A new session (the seed's NewExecutionContextWithSession); a new GUID when no id is given.</summary>
        public static AgnoSession Create(string? sessionId = null, string? userId = null, object? input = null, AgnoState? state = null) =>
            Create(sessionId, userId, input, state, null);

        /// <summary>A session whose runs are recorded in <paramref name="journal"/> (a store's session).</summary>
        internal static AgnoSession Create(string? sessionId, string? userId, object? input, AgnoState? state, IRunJournal? journal)
        {
            if (sessionId != null && string.IsNullOrWhiteSpace(sessionId))
            {
                throw new ArgumentException("A SessionId cannot be empty or white space; omit it to get a new GUID.", nameof(sessionId));
            }
            return new AgnoSession(sessionId ?? Guid.NewGuid().ToString(), userId, input, state ?? new AgnoState(),
                new ConcurrentDictionary<string, object?>(StringComparer.OrdinalIgnoreCase), new List<RunRecord>(), null, null, journal);
        }

        public string SessionId { get; }
        public string? UserId { get; }
        public object? Input { get; set; }

        /// <summary>The output of the last step that completed (for a parallel node, its branches' outputs in branch order).</summary>
        public object? Output { get; set; }

        public AgnoState State { get; }

        /// <summary>Where this session's runs are recorded for resuming (its store, for a stored session); null otherwise.</summary>
        internal IRunJournal? Journal { get; }
        public IDictionary<string, object?> Metadata { get; }
        public DateTimeOffset CreatedAt { get; } = DateTimeOffset.Now;

        /// <summary>For a step's session, the session it runs in; null for a session made with Create.</summary>
        internal AgnoSession? Parent { get; }

        /// <summary>For a step's session, the step's name.</summary>
        public string? NodeName { get; }

        /// <summary>The runs of workflows and parallel nodes on this session, oldest first.</summary>
        public IReadOnlyList<RunRecord> History
        {
            get { lock (_history) return _history.ToArray(); }
        }

        internal void AddRun(RunRecord run)
        {
            lock (_history) _history.Add(run);
        }

        /// <summary>A session for one node: same ids, input and metadata, with its own state.</summary>
        internal AgnoSession ForNode(AgnoState state, string nodeName) =>
            new AgnoSession(SessionId, UserId, Input, state, (ConcurrentDictionary<string, object?>)Metadata, _history, this, nodeName, null) { Output = Output };

        public override string ToString() => $"Session {SessionId} ({State.Count} keys)";
    }
}
