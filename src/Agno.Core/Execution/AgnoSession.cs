using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;

namespace Agno.Core
{
    /// <summary>
    /// The context a workflow runs in (the seed's ExecutionContext): ids, input, output, the session
    /// state, metadata and the history of runs. A step receives a child session whose
    /// <see cref="State"/> is the step's own fork, and whose <see cref="Input"/> and <see cref="Metadata"/>
    /// are its own copies (made when the step first reads them): what a step changes in them stays in
    /// that step, never reaching its siblings, later steps or the caller. Data steps share goes in the state.
    /// </summary>
    public sealed class AgnoSession
    {
        /// <summary>How many runs a session keeps in its history unless told otherwise, in memory and in its store.</summary>
        public const int DefaultHistoryLimit = 100;

        private readonly List<RunRecord> _history;
        private readonly object _copyGate = new object();
        private object? _input;
        private IDictionary<string, object?>? _metadata;
        // For a step's session, the parent's input and metadata as they were when the step began, until copied.
        private (object? Input, IDictionary<string, object?> Metadata)? _toCopy;
        private MergePolicy _mergePolicy = new MergePolicy();
        private int _historyLimit = DefaultHistoryLimit;

        private AgnoSession(string sessionId, string? userId, object? input, AgnoState state,
            IDictionary<string, object?>? metadata, List<RunRecord> history, AgnoSession? parent, string? nodeName, IRunJournal? journal)
        {
            Journal = journal;
            SessionId = sessionId;
            UserId = userId;
            _input = input;
            State = state;
            _metadata = metadata;
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

        /// <summary>The session's id: the one it was created or opened with, else a new GUID. A step's session has its session's id.</summary>
        public string SessionId { get; }

        /// <summary>Who the session belongs to; null for nobody in particular. A store opens a session stored with a UserId only with that UserId.</summary>
        public string? UserId { get; }

        /// <summary>The session's input; in a step, the step's own copy of it.</summary>
        public object? Input
        {
            get { lock (_copyGate) { CopyFromParent(); return _input; } }
            set { lock (_copyGate) { CopyFromParent(); _input = value; } }
        }

        /// <summary>The output of the last step that completed (for a parallel node, its branches' outputs in branch order).</summary>
        public object? Output { get; set; }

        /// <summary>The session state; in a step, the step's own fork, whose changes are committed when the step completes.</summary>
        public AgnoState State { get; }

        /// <summary>Where this session's runs are recorded for resuming (its store, for a stored session); null otherwise.</summary>
        internal IRunJournal? Journal { get; }

        /// <summary>Named values about the session (case-insensitive names); in a step, the step's own copy of them.</summary>
        public IDictionary<string, object?> Metadata
        {
            get { lock (_copyGate) { CopyFromParent(); return _metadata!; } }
        }

        /// <summary>When this object was made: for a step's session, when the step started; for a stored session, when it was opened (not when it was first stored).</summary>
        public DateTimeOffset CreatedAt { get; } = DateTimeOffset.Now;

        /// <summary>For a step's session, the session it runs in; null for a session made with Create.</summary>
        internal AgnoSession? Parent { get; }

        /// <summary>For a step's session, the stop of the run the step belongs to.</summary>
        internal RunStop? RunStop { get; set; }

        /// <summary>
        /// Ends the run this step belongs to, early and successfully: the step commits as usual, the run's
        /// other parallel branches finish and merge, nothing after runs, and the run ends with status
        /// Stopped and <paramref name="reason"/> on its record. A resume then has nothing to continue.
        /// </summary>
        /// <exception cref="InvalidOperationException">This is not a step's session (it runs in no run).</exception>
        public void StopRun(string? reason = null)
        {
            if (RunStop == null) throw new InvalidOperationException("Only a step can stop the run it belongs to; this session is not a step's.");
            RunStop.Request(reason);
        }

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
            return new ResumePoint(last.RunId, last.Checkpoints);
        }

        /// <summary>
        /// A session for one node: same ids, with its own state, and its own copies of this session's
        /// input and metadata, made with the state's copier on the node's first read of them (most
        /// steps never read them; nothing changes them while the node runs).
        /// </summary>
        internal AgnoSession ForNode(AgnoState state, string nodeName) =>
            new AgnoSession(SessionId, UserId, null, state, null, _history, this, nodeName, null)
            {
                Output = Output,
                _toCopy = (Input, Metadata),
            };

        private void CopyFromParent()
        {
            if (_toCopy is not { } source) return;
            var copier = State.Copier;
            var metadata = new ConcurrentDictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
            foreach (var entry in source.Metadata) metadata[entry.Key] = CopyFor($"The session's metadata '{entry.Key}'", entry.Value, copier);
            _input = CopyFor("The session's Input", source.Input, copier);
            _metadata = metadata;
            _toCopy = null;
        }

        private object? CopyFor(string what, object? value, IValueCopier copier)
        {
            try
            {
                return copier.Copy(value);
            }
            catch (ValueRefusedException e)
            {
                throw e.About($"{what} cannot be copied for '{NodeName}'");
            }
        }

        // Never reaches a store: PowerShell calls ToString while it binds a parameter, and a refresh
        // there would move the state a top-level Set-AgnoState is merged against.
        /// <summary>The id and the key count as memory has it, for display.</summary>
        public override string ToString() => $"Session {SessionId} ({State.CountInMemory} keys)";
    }
}
