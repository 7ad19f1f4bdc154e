using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Agno.Core;

namespace Agno.Tests
{
    /// <summary>Shared helpers: gates for ordering branches, a hang guard, and a recording observer.</summary>
    internal static class TestSupport
    {
        /// <summary>
        /// Only a guard against a hung test (a broken engine must fail, not hang the suite); never used
        /// to wait for something to happen.
        /// </summary>
        public static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(20);

        [ModuleInitializer]
        internal static void MoreThreads()
        {
            // A few tests block pool threads on purpose (to make two branches fail at once); with two
            // cores the pool would otherwise inject threads slowly and the suite would crawl.
            ThreadPool.GetMinThreads(out int worker, out int io);
            ThreadPool.SetMinThreads(Math.Max(worker, 64), Math.Max(io, 64));
        }

        public static TaskCompletionSource NewGate() => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public static Task Guarded(this Task task) => task.WaitAsync(HangGuard);
        public static Task<T> Guarded<T>(this Task<T> task) => task.WaitAsync(HangGuard);

        public static Step SetStep(string name, string key, object? value) => new Step(name, s => s.State.Set(key, value));

        public static Step FailStep(string name, string message = "boom") =>
            new Step(name, s => throw new InvalidOperationException(message));

        /// <summary>A branch delta made the way the engine makes them: a fork of base, changed by <paramref name="change"/>.</summary>
        public static BranchDelta Branch(StateSnapshot baseState, string name, Action<AgnoState> change)
        {
            var fork = AgnoState.ForkOf(baseState);
            change(fork);
            return new BranchDelta(name, fork.GetDelta());
        }

        public static Dictionary<string, object?> Plain(AgnoState state) =>
            state.GetAll().ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Records every start and finish it is told of.</summary>
    internal sealed class RecordingObserver : IRunObserver
    {
        public ConcurrentQueue<string> Events { get; } = new ConcurrentQueue<string>();
        public ConcurrentQueue<NodeRecord> Started { get; } = new ConcurrentQueue<NodeRecord>();
        public ConcurrentQueue<NodeRecord> Finished { get; } = new ConcurrentQueue<NodeRecord>();

        public void NodeStarted(NodeRecord node)
        {
            Started.Enqueue(node);
            Events.Enqueue("start " + node.Path);
        }

        public void NodeFinished(NodeRecord node)
        {
            Finished.Enqueue(node);
            Events.Enqueue("finish " + node.Path + " " + node.Status);
        }
    }

    /// <summary>
    /// Forces branches to finish in a given order: the body of a branch awaits <see cref="TurnOf"/>,
    /// and the next branch's turn comes only when the observer is told the previous one finished.
    /// </summary>
    internal sealed class CompletionOrder : IRunObserver
    {
        private readonly string[] _order;
        private readonly Dictionary<string, TaskCompletionSource> _turns;

        public CompletionOrder(IEnumerable<string> order)
        {
            _order = order.ToArray();
            _turns = _order.ToDictionary(n => n, _ => TestSupport.NewGate(), StringComparer.OrdinalIgnoreCase);
            if (_order.Length > 0) _turns[_order[0]].SetResult();
        }

        public ConcurrentQueue<string> Completed { get; } = new ConcurrentQueue<string>();

        public Task TurnOf(string branch) => _turns[branch].Task;

        public void NodeStarted(NodeRecord node) { }

        public void NodeFinished(NodeRecord node)
        {
            int index = Array.FindIndex(_order, n => string.Equals(n, node.Name, StringComparison.OrdinalIgnoreCase));
            if (index < 0) return;
            Completed.Enqueue(node.Name);
            if (index + 1 < _order.Length) _turns[_order[index + 1]].TrySetResult();
        }
    }
}
