using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;

namespace Agno.Core
{
    /// <summary>What happened to one node of a run: status, timing, keys changed, conflicts, error, and its children.</summary>
    public sealed class NodeRecord
    {
        private readonly List<NodeRecord> _children = new List<NodeRecord>();
        private List<AttemptRecord>? _attempts;
        private Stopwatch? _clock;

        internal NodeRecord(string name, NodeKind kind, NodeRecord? parent)
        {
            Name = name;
            Kind = kind;
            Parent = parent;
        }

        /// <summary>The node's name; for a run's root, the name of what the run ran.</summary>
        public string Name { get; }

        /// <summary>What kind of node it is; <see cref="NodeKind.Sequence"/> for a node with others chained after it with Then.</summary>
        public NodeKind Kind { get; }

        /// <summary>The record of the node this one ran in; null for a run's root.</summary>
        public NodeRecord? Parent { get; }

        /// <summary>Where the node stands; <see cref="NodeStatus.Pending"/> until it starts.</summary>
        public NodeStatus Status { get; internal set; } = NodeStatus.Pending;

        /// <summary>When the node started; null while it is pending (and for a node that never ran).</summary>
        public DateTimeOffset? StartedAt { get; private set; }

        /// <summary>How long the node ran; zero until it finishes.</summary>
        public TimeSpan Duration { get; private set; }

        /// <summary>The keys the node changed, each once (for a parallel node, those its merged result changed); empty until it commits.</summary>
        public IReadOnlyList<string> KeysChanged { get; internal set; } = Array.Empty<string>();

        /// <summary>For a parallel node, every conflict its merge met, however settled (also when the merge failed); empty otherwise.</summary>
        public IReadOnlyList<MergeConflict> Conflicts { get; internal set; } = Array.Empty<MergeConflict>();

        /// <summary>Conflicts of this node's commit with other commits to a stored session (see <see cref="StoreConflict"/>).</summary>
        public IReadOnlyList<StoreConflict> StoreConflicts { get; internal set; } = Array.Empty<StoreConflict>();

        /// <summary>Why the node failed; for a run reloaded from a store, a <see cref="RecordedErrorException"/> with the original's message and id.</summary>
        public Exception? Error { get; internal set; }

        /// <summary>The records of the nodes run inside this one, in order: nodes known up front have theirs before they start (Pending), and a fed parallel node drops those of branches that completed. Filled while the node runs, from the threads that run it.</summary>
        public IReadOnlyList<NodeRecord> Children => _children;

        /// <summary>For a control-flow node, what it decided: the branch a condition took ('Then', 'Else'), the routes a router ran, why a loop ended.</summary>
        public string? Decision { get; internal set; }

        /// <summary>Something the caller should be told about this node that is not an error (a loop that reached its maximum; why a run was stopped).</summary>
        public string? Note { get; internal set; }

        /// <summary>For a node with a <see cref="RetryPolicy"/>: each attempt it made, in order, with its error; empty otherwise.</summary>
        public IReadOnlyList<AttemptRecord> Attempts => (IReadOnlyList<AttemptRecord>?)_attempts ?? Array.Empty<AttemptRecord>();

        /// <summary>Names from the run's root down to this node, joined with '/'.</summary>
        public string Path => Parent == null ? Name : Parent.Path + "/" + Name;

        internal NodeRecord AddChild(string name, NodeKind kind)
        {
            var child = new NodeRecord(name, kind, this);
            lock (_children) _children.Add(child);
            return child;
        }

        /// <summary>Drops a child's record (a pipeline branch that completed: its changes are in this node's).</summary>
        internal void RemoveChild(NodeRecord child)
        {
            lock (_children) _children.Remove(child);
        }

        internal void AddAttempt(AttemptRecord attempt) => (_attempts ??= new List<AttemptRecord>()).Add(attempt);

        /// <summary>Forgets what a failed attempt recorded (children, keys, conflicts, error) before the node runs again; attempts stay.</summary>
        internal void ResetForRetry()
        {
            lock (_children) _children.Clear();
            KeysChanged = Array.Empty<string>();
            Conflicts = Array.Empty<MergeConflict>();
            Error = null;
            Status = NodeStatus.Pending;
        }

        internal void Start()
        {
            StartedAt = DateTimeOffset.Now;
            _clock = Stopwatch.StartNew();
            Status = NodeStatus.Running;
        }

        internal void Finish(NodeStatus status, Exception? error = null)
        {
            Duration = _clock?.Elapsed ?? TimeSpan.Zero;
            Status = status;
            Error = error;
        }

        /// <summary>Sets what a stored record says of a node that ran in another process.</summary>
        internal void Restore(NodeStatus status, DateTimeOffset? startedAt, TimeSpan duration, Exception? error)
        {
            Status = status;
            StartedAt = startedAt;
            Duration = duration;
            Error = error;
        }

        /// <summary>This record and all below it, depth first.</summary>
        public IEnumerable<NodeRecord> Descendants() => new[] { this }.Concat(_children.SelectMany(c => c.Descendants()));

        /// <summary>Kind, name and status, for display.</summary>
        public override string ToString() => $"{Kind} '{Name}': {Status}";
    }
}
