using System;
using System.Collections.Generic;
using System.Linq;

namespace Agno.Core
{
    /// <summary>
    /// What every node of one run shares: the observer, the run's record, its checkpoints and its stop.
    /// A checkpoint is a key recorded with a commit into the session's own state (a node whose changes
    /// are durable once committed: a top-level node, a step of a nested workflow, a loop's or a branch
    /// of a condition's step...), or with a decision a control-flow node took (which branch, whether a
    /// loop goes on), so that a resumed run skips what completed and takes the same decisions, however
    /// the state has changed since. A key is the node's path below the run's root ('check',
    /// 'poll/#3/fetch'); a decision's key adds '?' and the decision ('poll/#2?until=False').
    /// </summary>
    internal sealed class RunEnvironment
    {
        private readonly HashSet<string> _completed;
        private readonly AgnoState _rootState;

        public RunEnvironment(IRunObserver? observer, RunRecord run, IEnumerable<string>? completed, AgnoState rootState)
        {
            Observer = observer;
            Run = run;
            _rootState = rootState;
            _completed = new HashSet<string>(completed ?? Enumerable.Empty<string>(), StringComparer.OrdinalIgnoreCase);
            foreach (var key in _completed) run.AddCheckpoint(key); // a resumed run carries what its earlier attempts completed
        }

        public IRunObserver? Observer { get; }
        public RunRecord Run { get; }

        /// <summary>A step's request to end the run early (Stop-AgnoWorkflow), once its step has committed.</summary>
        public RunStop Stop { get; } = new RunStop();

        /// <summary>True for a node that an earlier attempt of this run completed (a resumed run skips it).</summary>
        public bool CompletedBefore(NodeRecord record) => _completed.Contains(KeyOf(record));

        /// <summary>
        /// Applies <paramref name="delta"/> to <paramref name="context"/>'s state as <paramref name="record"/>'s
        /// commit: with a checkpoint when that state is the session's own (see the class), and the
        /// conflicts it met with other processes' commits on the record.
        /// </summary>
        public StateCommit? Commit(AgnoSession context, NodeRecord record, StateDelta delta) =>
            CommitWith(context, record, delta, IsRoot(context) ? KeyOf(record) : null);

        /// <summary>The answer an earlier attempt of this run recorded to <paramref name="question"/> at <paramref name="record"/>; null when none.</summary>
        public string? RecordedDecision(NodeRecord record, string question)
        {
            var prefix = KeyOf(record) + "?" + question + "=";
            return _completed.FirstOrDefault(k => k.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))?.Substring(prefix.Length);
        }

        /// <summary>Records a control-flow node's answer to <paramref name="question"/>, so that a resumed run takes it again.</summary>
        public void RecordDecision(AgnoSession context, NodeRecord record, string question, string answer)
        {
            if (IsRoot(context)) CommitWith(context, record, StateDelta.Empty, KeyOf(record) + "?" + question + "=" + answer);
        }

        private StateCommit? CommitWith(AgnoSession context, NodeRecord record, StateDelta delta, string? key)
        {
            var checkpoint = key == null ? null : new Checkpoint(Run.RunId, Run.Name, key);
            var commit = Agno.Core.Commit.Into(context.State, delta, checkpoint, record);
            if (key != null) Run.AddCheckpoint(key);
            return commit;
        }

        /// <summary>True when <paramref name="context"/> is the run's session itself (not a parallel branch's copy).</summary>
        public bool IsRoot(AgnoSession context) => ReferenceEquals(context.State, _rootState);

        /// <summary>The node's path below the run's root: the root itself is its name, the rest their path without it.</summary>
        private string KeyOf(NodeRecord record) => record == Run.Root ? record.Name : record.Path.Substring(Run.Root.Name.Length + 1);
    }
}
