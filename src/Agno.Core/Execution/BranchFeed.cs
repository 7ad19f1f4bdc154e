using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Agno.Core
{
    /// <summary>
    /// The branches of a <see cref="ParallelNode"/> that are not known up front (one per item of a stream):
    /// a producer adds them while the node runs, waiting while <see cref="Capacity"/> of them are queued
    /// and not yet started, so that a long stream is never read far ahead of the work. One use: a node
    /// takes each branch once, and when it stops (it failed, or was stopped) it takes no more.
    /// </summary>
    public sealed class BranchFeed
    {
        private readonly Queue<WorkflowNode> _queue = new Queue<WorkflowNode>();
        private readonly SemaphoreSlim _room;
        private readonly SemaphoreSlim _ready = new SemaphoreSlim(0);
        private readonly CancellationTokenSource _closed = new CancellationTokenSource();
        private int _added;
        private bool _completed;

        /// <param name="capacity">How many added branches may wait for the node to start them.</param>
        public BranchFeed(int capacity = 1)
        {
            if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "A feed holds at least one branch.");
            Capacity = capacity;
            _room = new SemaphoreSlim(capacity);
        }

        /// <summary>How many added branches may wait for the node to start them; a producer that adds more waits for room.</summary>
        public int Capacity { get; }

        /// <summary>How many branches have been added so far.</summary>
        public int Added => Volatile.Read(ref _added);

        /// <summary>True once the node takes no more branches (it failed or was stopped): stop producing.</summary>
        public bool IsClosed => _closed.IsCancellationRequested;

        /// <summary>
        /// Queues <paramref name="branch"/>, waiting for room first. True when queued; false when the node
        /// takes no more branches (the branch is dropped).
        /// </summary>
        public async Task<bool> AddAsync(WorkflowNode branch, CancellationToken cancellationToken = default)
        {
            if (branch == null) throw new ArgumentNullException(nameof(branch), "A null branch cannot be added to a feed.");
            using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closed.Token);
            try
            {
                await _room.WaitAsync(either.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (IsClosed && !cancellationToken.IsCancellationRequested)
            {
                return false;
            }
            lock (_queue)
            {
                if (_completed) throw new InvalidOperationException("The feed is complete; no branch can be added after Complete.");
                if (IsClosed) return false;
                _queue.Enqueue(branch);
                _added++;
            }
            _ready.Release();
            return true;
        }

        /// <summary>No more branches: the node ends once it has run those added.</summary>
        public void Complete()
        {
            lock (_queue)
            {
                if (_completed) return;
                _completed = true;
            }
            _ready.Release(); // wakes a taker waiting on an empty queue
        }

        /// <summary>The next branch, waiting for one; null when the feed is complete and empty.</summary>
        internal async Task<WorkflowNode?> TakeAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                await _ready.WaitAsync(cancellationToken).ConfigureAwait(false);
                lock (_queue)
                {
                    if (_queue.Count > 0)
                    {
                        _room.Release();
                        return _queue.Dequeue();
                    }
                    if (_completed)
                    {
                        _ready.Release(); // so that every later take sees the end too
                        return null;
                    }
                }
            }
        }

        /// <summary>The node takes no more branches: queued ones are dropped, and producers waiting for room are let go.</summary>
        internal void Close()
        {
            lock (_queue)
            {
                _queue.Clear();
                _closed.Cancel();
            }
        }
    }
}
