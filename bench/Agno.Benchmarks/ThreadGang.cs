using System;
using System.Threading;

namespace Agno.Benchmarks
{
    /// <summary>
    /// A fixed set of threads that run one piece of work together, all starting at once: the
    /// calling thread and <c>count - 1</c> dedicated threads, made once so that a measurement
    /// never includes starting a thread or waiting for the thread pool to grow.
    /// </summary>
    public sealed class ThreadGang : IDisposable
    {
        private readonly Barrier _start;
        private readonly Barrier _done;
        private readonly Thread[] _workers;
        private Action<int> _work = _ => { };
        private volatile bool _stopping;

        public ThreadGang(int count)
        {
            if (count < 1) throw new ArgumentOutOfRangeException(nameof(count));
            Count = count;
            _start = new Barrier(count);
            _done = new Barrier(count);
            _workers = new Thread[count - 1];
            for (int i = 0; i < _workers.Length; i++)
            {
                int id = i + 1;
                _workers[i] = new Thread(() => Loop(id)) { IsBackground = true, Name = "bench-" + id };
                _workers[i].Start();
            }
        }

        public int Count { get; }

        /// <summary>Runs <paramref name="work"/>(threadIndex) on every thread of the gang at once; returns when all are done.</summary>
        public void Run(Action<int> work)
        {
            if (Count == 1)
            {
                work(0);
                return;
            }
            _work = work;
            _start.SignalAndWait();
            work(0);
            _done.SignalAndWait();
        }

        private void Loop(int id)
        {
            while (true)
            {
                _start.SignalAndWait();
                if (_stopping) return;
                _work(id);
                _done.SignalAndWait();
            }
        }

        public void Dispose()
        {
            if (Count == 1) return;
            _stopping = true;
            _start.SignalAndWait();
            foreach (var worker in _workers) worker.Join();
            _start.Dispose();
            _done.Dispose();
        }
    }
}
