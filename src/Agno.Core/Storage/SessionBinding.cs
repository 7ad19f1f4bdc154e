namespace Agno.Core
{
    /// <summary>
    /// A stored session's connection to its store: the state's committer and the session's run
    /// journal. It names the session as stored (and which incarnation of it: a session removed and
    /// created again is another), and takes the merge rules and history limit from the session.
    /// </summary>
    internal sealed class SessionBinding : IStateCommitter, IRunJournal
    {
        private readonly SessionStoreBase _store;

        public SessionBinding(SessionStoreBase store, string sessionId, long instance)
        {
            _store = store;
            SessionId = sessionId;
            Instance = instance;
        }

        public string SessionId { get; }
        public long Instance { get; }

        /// <summary>The session this binding serves (set once it is made).</summary>
        public AgnoSession? Session { get; set; }

        public StoredChanges? Pull(long sinceVersion) => _store.Pull(this, sinceVersion);

        public StateCommit Commit(StateSnapshot baseState, StateDelta delta, long knownVersion, Checkpoint? checkpoint) =>
            _store.Commit(this, baseState, delta, knownVersion, checkpoint, Session?.MergePolicy ?? new MergePolicy());

        public void RunFinished(RunRecord run) => _store.RecordRun(this, run);

        public ResumePoint? FindUnfinishedRun(string name) => _store.FindUnfinishedRun(this, name);
    }
}
