using System;
using System.Collections.Generic;
using System.Linq;
using Agno.Core;
using CsCheck;
using Xunit;

namespace Agno.Tests
{
    /// <summary>
    /// The state keeps recent writes in an overlay over a frozen map, folded in when a snapshot is
    /// taken: whatever the interleaving of writes, snapshots and forks, it must read as a plain dictionary.
    /// </summary>
    public class LayeredStateTests
    {
        // op: 0 set, 1 remove, 2 snapshot (checked later), 3 fork (checked later), 4 apply a two-key delta
        private static readonly Gen<(int Op, int Key, int Value)> GenOp = Gen.Select(Gen.Int[0, 4], Gen.Int[0, 5], Gen.Int[0, 9]);

        [Fact]
        public void Any_interleaving_of_writes_snapshots_and_forks_reads_like_a_dictionary()
        {
            GenOp.List[0, 60].Sample(ops =>
            {
                var state = new AgnoState();
                var model = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
                var frozen = new List<(StateSnapshot Snapshot, Dictionary<string, int> Expected)>();
                var forks = new List<(AgnoState Fork, Dictionary<string, int> Expected)>();
                foreach (var (op, k, v) in ops)
                {
                    string key = "k" + k;
                    switch (op)
                    {
                        case 0:
                            state.Set(key, v);
                            model[key] = v;
                            break;
                        case 1:
                            Assert.Equal(model.Remove(key), state.Remove(key));
                            break;
                        case 2:
                            frozen.Add((state.Snapshot(), new Dictionary<string, int>(model, StringComparer.OrdinalIgnoreCase)));
                            break;
                        case 3:
                            forks.Add((state.Fork(), new Dictionary<string, int>(model, StringComparer.OrdinalIgnoreCase)));
                            break;
                        default:
                            var fork = state.Fork();
                            fork.Set(key, v);
                            fork.Remove("k" + ((k + 1) % 6));
                            state.Apply(fork.GetDelta());
                            model[key] = v;
                            model.Remove("k" + ((k + 1) % 6));
                            break;
                    }
                    Assert.Equal(model.Count, state.Count);
                }
                Assert.Equal(model.OrderBy(e => e.Key).Select(e => (e.Key, (object?)e.Value)), state.GetAll().OrderBy(e => e.Key).Select(e => (e.Key, e.Value)));
                foreach (var key in Enumerable.Range(0, 6).Select(i => "K" + i))
                {
                    Assert.Equal(model.TryGetValue(key, out var expected), state.TryGet(key, out var actual));
                    if (model.ContainsKey(key)) Assert.Equal(expected, actual);
                }
                foreach (var (snapshot, expected) in frozen)
                {
                    Assert.Equal(expected.Count, snapshot.Count);
                    foreach (var entry in expected)
                    {
                        Assert.True(snapshot.TryGet(entry.Key, out var value));
                        Assert.Equal(entry.Value, value);
                    }
                }
                foreach (var (fork, expected) in forks)
                {
                    Assert.Equal(expected.OrderBy(e => e.Key).Select(e => (e.Key, (object?)e.Value)), fork.GetAll().OrderBy(e => e.Key).Select(e => (e.Key, e.Value)));
                }
            }, iter: 300);
        }
    }
}
