using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Agno.Core;
using Xunit;

namespace Agno.Tests
{
    public class ConcurrencyTests
    {
        private static void RunThreads(int count, Action<int> work, ConcurrentQueue<Exception> errors)
        {
            using var go = new ManualResetEventSlim(false);
            var threads = Enumerable.Range(0, count).Select(i => new Thread(() =>
            {
                try
                {
                    go.Wait();
                    work(i);
                }
                catch (Exception e)
                {
                    errors.Enqueue(e);
                }
            }, 256 * 1024) { IsBackground = true }).ToList();
            threads.ForEach(t => t.Start());
            go.Set(); // every thread starts its work at once
            threads.ForEach(t => Assert.True(t.Join(TestSupport.HangGuard)));
        }

        [Fact]
        public void Thousand_threads_mixing_Set_Get_Remove_end_in_an_exact_state()
        {
            const int threads = 1000, keysPerThread = 10, shared = 50;
            var state = new AgnoState();
            for (int i = 0; i < shared; i++) state.Set("shared" + i, i);
            var errors = new ConcurrentQueue<Exception>();

            RunThreads(threads, t =>
            {
                for (int k = 0; k < keysPerThread; k++)
                {
                    string key = $"t{t}-k{k}";
                    state.Set(key, new List<int> { t, k });
                    var read = (List<int>)state.Get(key)!;
                    if (read[0] != t || read[1] != k) throw new Exception($"{key} read back [{read[0]},{read[1]}]");
                    int s = (t + k) % shared;
                    if ((int)state.Get("SHARED" + s)! != s) throw new Exception($"shared{s} changed");
                    if (k % 2 == 1)
                    {
                        if (!state.Remove(key)) throw new Exception($"{key} was not there to remove");
                        if (state.ContainsKey(key)) throw new Exception($"{key} still there after removal");
                        if (state.Remove(key)) throw new Exception($"{key} removed twice");
                    }
                }
                state.Set($"T{t}-K0", "last"); // another casing: overwrites, keeps the first casing
            }, errors);

            Assert.Empty(errors);
            Assert.Equal(shared + threads * keysPerThread / 2, state.Count);
            Assert.Equal(state.Count, state.Keys.Count);
            for (int t = 0; t < threads; t++)
            {
                Assert.Equal("last", state.Get($"t{t}-k0"));
                for (int k = 1; k < keysPerThread; k++)
                {
                    Assert.Equal(k % 2 == 0, state.ContainsKey($"t{t}-k{k}"));
                }
            }
            Assert.Contains("t999-k0", state.Keys);
            Assert.DoesNotContain("T999-K0", state.Keys);
            for (int i = 0; i < shared; i++) Assert.Equal(i, state.Get("shared" + i));
        }

        [Fact]
        public void Concurrent_forks_applied_back_lose_no_change()
        {
            const int threads = 64;
            var state = new AgnoState();
            var errors = new ConcurrentQueue<Exception>();

            RunThreads(threads, t =>
            {
                var fork = state.Fork();
                fork.Set("own" + t, t);
                fork.Set("list" + t, new[] { t });
                state.Apply(fork.GetDelta());
                var second = state.Fork();
                second.Remove("list" + t);
                state.Apply(second.GetDelta());
            }, errors);

            Assert.Empty(errors);
            Assert.Equal(threads, state.Count);
            for (int t = 0; t < threads; t++) Assert.Equal(t, state.Get("own" + t));
        }

        [Fact]
        public void Readers_never_see_a_torn_Apply()
        {
            const int keys = 16, rounds = 3001, readers = 2;
            var state = new AgnoState();
            for (int k = 0; k < keys; k++) state.Set("k" + k, 0);
            var deltas = new StateDelta[rounds];
            for (int r = 0; r < rounds; r++)
            {
                var fork = state.Fork();
                for (int k = 0; k < keys; k++)
                {
                    if (r % 3 == 2) fork.Remove("k" + k);
                    else fork.Set("k" + k, r + 1);
                }
                deltas[r] = fork.GetDelta();
            }

            int writerDone = 0;
            long reads = 0;
            var torn = new ConcurrentQueue<string>();
            using var readersRunning = new CountdownEvent(readers);
            var readerThreads = Enumerable.Range(0, readers).Select(_ => new Thread(() =>
            {
                readersRunning.Signal();
                while (Volatile.Read(ref writerDone) == 0)
                {
                    Check(state.GetAll().Values, "GetAll");
                    var snapshot = state.Snapshot();
                    var values = new List<object?>();
                    for (int k = 0; k < keys; k++)
                    {
                        if (snapshot.TryGet("k" + k, out var v)) values.Add(v);
                    }
                    Check(values, "Snapshot");
                    Check(state.Fork().GetAll().Values, "Fork");
                    Interlocked.Increment(ref reads);
                }
            }) { IsBackground = true }).ToList();

            void Check(ICollection<object?> values, string how)
            {
                bool whole = values.Count == 0 || (values.Count == keys && values.Distinct().Count() == 1);
                if (!whole) torn.Enqueue($"{how}: {values.Count} keys, values {string.Join(",", values.Distinct())}");
            }

            readerThreads.ForEach(t => t.Start());
            Assert.True(readersRunning.Wait(TestSupport.HangGuard));
            foreach (var delta in deltas) state.Apply(delta);
            Volatile.Write(ref writerDone, 1);
            readerThreads.ForEach(t => Assert.True(t.Join(TestSupport.HangGuard)));

            Assert.Empty(torn);
            Assert.True(Interlocked.Read(ref reads) > 0);
            Assert.All(state.GetAll().Values, v => Assert.Equal(rounds, v)); // the last round (r = 3000) sets them all
        }

        [Fact]
        public void Concurrent_sets_of_one_key_leave_one_of_the_written_values()
        {
            const int threads = 100;
            var state = new AgnoState();
            var errors = new ConcurrentQueue<Exception>();
            RunThreads(threads, t => state.Set("Same", new List<int> { t, t }), errors);
            Assert.Empty(errors);
            var value = (List<int>)state.Get("same")!;
            Assert.Equal(value[0], value[1]);
            Assert.InRange(value[0], 0, threads - 1);
            Assert.Equal(1, state.Count);
        }
    }
}
