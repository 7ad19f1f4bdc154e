using System;

namespace Agno.Core
{
    /// <summary>
    /// A stored session's connection to its store: the state's committer (it knows the version the
    /// in-memory state is at) and the session's run journal.
    /// </summary>
    internal sealed class SessionBinding : IStateCommitter, IRunJournal
    {
        private readonly SessionStoreBase _store;
        private readonly string _sessionId;
        private long _version;

        public SessionBinding(SessionStoreBase store, string sessionId, long version)
        {
            _store = store;
            _sessionId = sessionId;
            _version = version;
        }

        public StateCommit Commit(StateSnapshot baseState, StateDelta delta, Checkpoint? checkpoint)
        {
            var (version, commit) = _store.Commit(_sessionId, _version, baseState, delta, checkpoint);
            _version = version;
            return commit;
        }

        public void RunStarted(Guid runId, string name) => _store.RecordRun(_sessionId, runId, name, NodeStatus.Running);

        public void RunFinished(Guid runId, NodeStatus status) => _store.RecordRun(_sessionId, runId, "", status);

        public ResumePoint? FindUnfinishedRun(string name) => _store.FindUnfinishedRun(_sessionId, name);
    }
}
