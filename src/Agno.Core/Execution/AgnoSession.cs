using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;

namespace Agno.Core
{
    /// <summary>
    /// The context a workflow runs in (the seed's ExecutionContext): ids, input, output, the session
    /// state, metadata and the history of runs. A step receives a child session whose
    /// <see cref="State"/> is the step's own fork.
    /// </summary>
    public sealed class AgnoSession
    {
        /// <summary>How many runs a session keeps in its history unless told otherwise, in memory and in its store.</summary>
        public const int DefaultHistoryLimit = 100;

        private readonly List<RunRecord> _history;
        private MergePolicy _mergePolicy = new MergePolicy();
        private int _historyLimit = DefaultHistoryLimit;

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
        public static AgnoSession Create(string? sessionId = null, string? userId = null, object? input = null, AgnoState? state = null, IRunJournal? journal = null)
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
        public IRunJournal? Journal { get; }
        public IDictionary<string, object?> Metadata { get; }
        public DateTimeOffset CreatedAt { get; } = DateTimeOffset.Now;

        /// <summary>For a step's session, the session it runs in; null for a session made with Create.</summary>
        public AgnoSession? Parent { get; }

        /// <summary>For a step's session, the step's name.</summary>
        public string? NodeName { get; }

        /// <summary>
        /// The session's merge rules: how a commit is merged with what another process (or another
        /// session object) committed to the same keys meanwhile, and the rules of every parallel node run
        /// on the session that sets none of its own. A step's session shares its session's rules.
        /// </summary>
        public MergePolicy MergePolicy
        {
            get => Parent?.MergePolicy ?? _mergePolicy;
            set
            {
                if (value == null) throw new ArgumentNullException(nameof(value));
                if (Parent != null) Parent.MergePolicy = value;
                else _mergePolicy = value;
            }
        }

        /// <summary>
        /// How many runs <see cref="History"/> keeps (the oldest go first), and a stored session's store
        /// keeps when this session records a run. At least 1; <see cref="DefaultHistoryLimit"/> unless set.
        /// </summary>
        public int HistoryLimit
        {
            get => Parent?.HistoryLimit ?? _historyLimit;
            set
            {
                if (value < 1) throw new ArgumentOutOfRangeException(nameof(value), value, "A session keeps at least one run in its history.");
                if (Parent != null)
                {
                    Parent.HistoryLimit = value;
                    return;
                }
                lock (_history)
                {
                    _historyLimit = value;
                    Trim();
                }
            }
        }

        /// <summary>The runs of workflows and parallel nodes on this session, oldest first (at most <see cref="HistoryLimit"/>).</summary>
        public IReadOnlyList<RunRecord> History
        {
            get { lock (_history) return _history.ToArray(); }
        }

        internal void AddRun(RunRecord run)
        {
            lock (_history)
            {
                _history.Add(run);
                Trim();
            }
        }

        private void Trim()
        {
            int excess = _history.Count - HistoryLimit;
            if (excess > 0) _history.RemoveRange(0, excess);
        }

        /// <summary>
        /// From this session's own history: where the last run of <paramref name="name"/> stopped, if it did
        /// not complete (it failed, timed out, was cancelled); null when there is none to resume.
        /// </summary>
        internal ResumePoint? UnfinishedRun(string name)
        {
            var last = History.LastOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase));
            if (last == null || !last.IsUnfinished) return null;
            return new ResumePoint(last.RunId, last.Root.Children
                .Where(n => n.Status == NodeStatus.Completed || n.Status == NodeStatus.Skipped).Select(n => n.Name).ToList());
        }

        /// <summary>A session for one node: same ids, input and metadata, with its own state.</summary>
        internal AgnoSession ForNode(AgnoState state, string nodeName) =>
            new AgnoSession(SessionId, UserId, Input, state, (ConcurrentDictionary<string, object?>)Metadata, _history, this, nodeName, null) { Output = Output };

        // Never reaches a store: PowerShell calls ToString while it binds a parameter, and a refresh
        // there would move the state a top-level Set-AgnoState is merged against.
        public override string ToString() => $"Session {SessionId} ({State.CountInMemory} keys)";
    }
}
