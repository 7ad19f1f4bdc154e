using System;
using System.Collections.Generic;
using System.Linq;

namespace Agno.Core
{
    /// <summary>One run of a workflow or parallel node on a session: its outcome and a record per node.</summary>
    public sealed class RunRecord
    {
        internal RunRecord(NodeRecord root, string sessionId, Guid runId, bool isResumed)
        {
            Root = root;
            SessionId = sessionId;
            RunId = runId;
            IsResumed = isResumed;
        }

        /// <summary>The run's id; a resumed run keeps the id of the run it continues.</summary>
        public Guid RunId { get; }

        /// <summary>True when the run continued an unfinished earlier run (a resume that found one), skipping what it completed.</summary>
        public bool IsResumed { get; }

        /// <summary>True when the run did not complete (it failed, timed out, was stopped, or its process ended in it): a resume continues it.</summary>
        public bool IsUnfinished => Status != NodeStatus.Completed && Status != NodeStatus.CompletedWithErrors && Status != NodeStatus.Stopped;

        /// <summary>For a run a step ended early (status Stopped), the reason it gave; null otherwise.</summary>
        public string? StopReason => Status == NodeStatus.Stopped ? Root.Note : null;

        private readonly List<string> _checkpoints = new List<string>();

        /// <summary>The checkpoints this run has recorded (and, resumed, those of its earlier attempts): what a resume in this process skips.</summary>
        internal IReadOnlyList<string> Checkpoints
        {
            get { lock (_checkpoints) return _checkpoints.ToArray(); }
        }

        internal void AddCheckpoint(string key)
        {
            lock (_checkpoints)
            {
                if (!_checkpoints.Contains(key, StringComparer.OrdinalIgnoreCase)) _checkpoints.Add(key);
            }
        }

        /// <summary>The id of the session the run ran on.</summary>
        public string SessionId { get; }

        /// <summary>The name of the node the run was started on.</summary>
        public string Name => Root.Name;

        /// <summary>The run's status (its root node's): Running while it runs, then how it ended.</summary>
        public NodeStatus Status => Root.Status;

        /// <summary>When the run started; null when it was cancelled before it started.</summary>
        public DateTimeOffset? StartedAt => Root.StartedAt;

        /// <summary>How long the run took; zero while it runs.</summary>
        public TimeSpan Duration => Root.Duration;

        /// <summary>Why the run failed, timed out or was cancelled; null when it completed or a step stopped it.</summary>
        public Exception? Error => Root.Error;

        /// <summary>The record of the node the run was started on; every other node's record is below it.</summary>
        public NodeRecord Root { get; }

        /// <summary>Every node below the root, depth first: steps, parallel nodes and their branches.</summary>
        public IReadOnlyList<NodeRecord> Steps => Root.Descendants().Skip(1).ToList();

        /// <summary>Every conflict met by any merge of the run, whatever the strategy.</summary>
        public IReadOnlyList<MergeConflict> Conflicts => Root.Descendants().SelectMany(n => n.Conflicts).ToList();

        /// <summary>Every conflict the run's commits met with other commits to the session (another process's), however resolved.</summary>
        public IReadOnlyList<StoreConflict> StoreConflicts => Root.Descendants().SelectMany(n => n.StoreConflicts).ToList();

        /// <summary>
        /// The nodes that failed where they failed (a failed node none of whose children failed):
        /// in a completed run, the branches ErrorPolicy Continue let the run go on past.
        /// </summary>
        public IReadOnlyList<NodeRecord> Failures =>
            Root.Descendants().Where(n => IsFailure(n) && !n.Children.Any(IsFailure)).ToList();

        private static bool IsFailure(NodeRecord node) => node.Status == NodeStatus.Failed || node.Status == NodeStatus.TimedOut;

        /// <summary>Name, status and duration, for display.</summary>
        public override string ToString() => $"Run of '{Name}': {Status} in {Duration.TotalMilliseconds:0} ms";
    }
}
