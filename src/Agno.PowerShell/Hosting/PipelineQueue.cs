using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Agno.Hosting
{
    /// <summary>
    /// Work that must be done on the caller's pipeline thread (writing to any stream, progress, running
    /// an Inline step), posted from the worker threads the engine runs on and done by <see cref="Pump"/>
    /// on the thread that made the queue. The queue completes when the last piece of work it is told
    /// of (<see cref="Enter"/>/<see cref="Exit"/>: the run, and every step it started) has finished.
    /// </summary>
    internal sealed class PipelineQueue : IDisposable
    {
        // A plain monitor queue, not a BlockingCollection: its semaphore spins before it sleeps, and
        // with work posted for every item a fan-out's pump spent a core spinning.
        private readonly Queue<Action> _work = new Queue<Action>();
        private bool _adding = true;
        private readonly int _pipelineThread = Environment.CurrentManagedThreadId;
        private int _active;

        /// <summary>True on the thread that pumps (the caller's pipeline thread).</summary>
        public bool OnPipelineThread => Environment.CurrentManagedThreadId == _pipelineThread;

        /// <summary>Something that may post work has started; the queue stays open until it exits.</summary>
        public void Enter() => Interlocked.Increment(ref _active);

        /// <summary>Something that may post work has finished; the last one closes the queue.</summary>
        public void Exit()
        {
            if (Interlocked.Decrement(ref _active) != 0) return;
            CompleteAdding();
        }

        private void CompleteAdding()
        {
            lock (_work)
            {
                _adding = false;
                Monitor.PulseAll(_work);
            }
        }

        /// <summary>No more work will come and none is left.</summary>
        private bool IsCompleted
        {
            get
            {
                lock (_work) return !_adding && _work.Count == 0;
            }
        }

        private bool TryTake(out Action work, int millisecondsTimeout)
        {
            lock (_work)
            {
                if (_work.Count == 0 && _adding && millisecondsTimeout > 0) Monitor.Wait(_work, millisecondsTimeout);
                if (_work.Count > 0)
                {
                    work = _work.Dequeue();
                    return true;
                }
                work = null!;
                return false;
            }
        }

        /// <summary>Queues work for the pipeline thread; false (and dropped) when the queue no longer pumps.</summary>
        public bool Post(Action work)
        {
            lock (_work)
            {
                if (!_adding) return false; // the invocation has finished pumping: nothing is listening any more
                _work.Enqueue(work);
                if (_work.Count == 1) Monitor.Pulse(_work);
                return true;
            }
        }

        /// <summary>
        /// Does the queued work until the queue completes, or until <paramref name="windDown"/> after
        /// <paramref name="engine"/> has finished (stopped steps that never give their runspace back
        /// must not hold the caller). <paramref name="idle"/> runs between pieces of work (progress);
        /// a piece of work that throws is given to <paramref name="failed"/> and the pump goes on.
        /// </summary>
        public void Pump(Task engine, TimeSpan windDown, Action idle, Action<Exception> failed)
        {
            if (!OnPipelineThread) throw new InvalidOperationException("The pipeline queue is pumped by another thread than the one that made it.");
            DateTime? deadline = null;
            while (!IsCompleted)
            {
                if (engine.IsCompleted && deadline == null) deadline = DateTime.UtcNow + windDown;
                if (deadline.HasValue && DateTime.UtcNow > deadline.Value) break;
                try
                {
                    if (TryTake(out var work, 100)) work();
                    idle();
                }
                catch (Exception e)
                {
                    failed(e);
                }
            }
            CompleteAdding(); // later posts are dropped
        }

        /// <summary>
        /// Does queued work until <paramref name="done"/> has completed or the queue has (the run ended):
        /// what a pipeline form does between two items, so that the branches' writes and Inline steps go
        /// on while it waits for room for the next item. Work already queued is done first, waiting for nothing.
        /// </summary>
        public void PumpUntil(Task done, Action idle, Action<Exception> failed)
        {
            if (!OnPipelineThread) throw new InvalidOperationException("The pipeline queue is pumped by another thread than the one that made it.");
            // Wakes the pump the moment the wait is over, rather than at its next look.
            if (!done.IsCompleted) done.ContinueWith(_ => Post(() => { }), TaskContinuationOptions.ExecuteSynchronously);
            while (!IsCompleted)
            {
                try
                {
                    if (TryTake(out var work, done.IsCompleted ? 0 : 100)) work();
                    else if (done.IsCompleted) break;
                    idle();
                }
                catch (Exception e)
                {
                    failed(e);
                }
            }
        }

        public void Dispose() => CompleteAdding();
    }
}
