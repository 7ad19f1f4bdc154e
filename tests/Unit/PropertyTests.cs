using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Agno.Core;
using CsCheck;
using Xunit;

namespace Agno.Tests
{
    /// <summary>
    /// The merge against a plain model: each branch's effective changes (what differs from base at
    /// its end), applied in branch order under the strategy. Keys come from a small alphabet and
    /// values are small ints, so that branches collide often.
    /// </summary>
    public class PropertyTests
    {
        private const int KeyCount = 5;
        private const long Iterations = 200;

        /// <summary>One operation of a branch: set key to value, or remove key (Value null).</summary>
        public sealed record Op(int Key, int? Value, bool Upper)
        {
            public string Name => (Upper ? "K" : "k") + Key;
            public override string ToString() => Value is int v ? $"{Name}={v}" : $"-{Name}";
        }

        public sealed record Case(Dictionary<int, int> Initial, List<Op>[] Branches, int[] CompletionOrder, int[] Schedule)
        {
            public override string ToString() =>
                "initial {" + string.Join(",", Initial.OrderBy(kv => kv.Key).Select(kv => $"k{kv.Key}={kv.Value}")) + "} branches " +
                string.Join(" | ", Branches.Select(b => "[" + string.Join(" ", b) + "]")) +
                " completion " + string.Join(",", CompletionOrder);
        }

        private static readonly Gen<Op> GenOp =
            Gen.Select(Gen.Int[0, KeyCount - 1], Gen.Int[0, 3], Gen.Int[0, 3], Gen.Bool,
                (key, value, kind, upper) => new Op(key, kind == 0 ? null : value, upper));

        private static readonly Gen<Dictionary<int, int>> GenInitial =
            Gen.Select(Gen.Bool.Array[KeyCount], Gen.Int[0, 3].Array[KeyCount], (present, values) =>
                Enumerable.Range(0, KeyCount).Where(k => present[k]).ToDictionary(k => k, k => values[k]));

        private static readonly Gen<Case> GenCase =
            Gen.Select(GenInitial, GenOp.List[0, 8].Array[1, 5], Gen.Int.Array[5], Gen.Int[0, 1000].Array[0, 48],
                (initial, branches, sortKeys, schedule) =>
                {
                    // a random completion order: the branch indexes sorted by random keys
                    var order = Enumerable.Range(0, branches.Length).OrderBy(i => sortKeys[i]).ThenBy(i => i).ToArray();
                    return new Case(initial, branches, order, schedule);
                });

        // ---- the model ----

        /// <summary>Key → new value (null: removed) for each key the branch really changed.</summary>
        private static Dictionary<int, int?> Effective(Dictionary<int, int> initial, List<Op> ops)
        {
            var end = new Dictionary<int, int>(initial);
            foreach (var op in ops)
            {
                if (op.Value is int v) end[op.Key] = v;
                else end.Remove(op.Key);
            }
            var changes = new Dictionary<int, int?>();
            for (int k = 0; k < KeyCount; k++)
            {
                bool had = initial.TryGetValue(k, out int before);
                bool has = end.TryGetValue(k, out int after);
                if (has && (!had || before != after)) changes[k] = after;
                else if (!has && had) changes[k] = null;
            }
            return changes;
        }

        private sealed class Model
        {
            public Dictionary<string, int> Final = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
            public List<(string Key, string[] Branches, string? Winner)> Conflicts = new List<(string, string[], string?)>();
        }

        private static Model Expected(Case c, MergeStrategy strategy)
        {
            var effective = c.Branches.Select(b => Effective(c.Initial, b)).ToList();
            var final = new Dictionary<int, int>(c.Initial);
            var model = new Model();
            for (int k = 0; k < KeyCount; k++)
            {
                var writers = Enumerable.Range(0, effective.Count).Where(i => effective[i].ContainsKey(k)).ToList();
                if (writers.Count == 0) continue;
                bool disagree = writers.Select(i => effective[i][k]).Distinct().Count() > 1;
                int winner = strategy == MergeStrategy.FirstWriteWins ? writers.First() : writers.Last();
                if (disagree)
                {
                    model.Conflicts.Add(("k" + k, writers.Select(i => "b" + i).ToArray(), strategy == MergeStrategy.Fail ? null : "b" + winner));
                }
                if (effective[winner][k] is int v) final[k] = v;
                else final.Remove(k);
            }
            foreach (var kv in final) model.Final["k" + kv.Key] = kv.Value;
            return model;
        }

        private static AgnoState InitialState(Case c)
        {
            var state = new AgnoState();
            foreach (var kv in c.Initial.OrderBy(kv => kv.Key)) state.Set("k" + kv.Key, kv.Value);
            return state;
        }

        private static Dictionary<string, int> Actual(AgnoState state) =>
            state.GetAll().ToDictionary(kv => kv.Key, kv => (int)kv.Value!, StringComparer.OrdinalIgnoreCase);

        private static void Apply(AgnoState state, Op op)
        {
            if (op.Value is int v) state.Set(op.Name, v);
            else state.Remove(op.Name);
        }

        private static void AssertSame(Dictionary<string, int> expected, Dictionary<string, int> actual, Case c)
        {
            var e = string.Join(",", expected.OrderBy(kv => kv.Key, StringComparer.OrdinalIgnoreCase).Select(kv => $"{kv.Key.ToLowerInvariant()}={kv.Value}"));
            var a = string.Join(",", actual.OrderBy(kv => kv.Key, StringComparer.OrdinalIgnoreCase).Select(kv => $"{kv.Key.ToLowerInvariant()}={kv.Value}"));
            if (e != a) throw new Exception($"expected {{{e}}} but got {{{a}}} for {c}");
        }

        private static void AssertConflicts(Model model, IReadOnlyList<MergeConflict> conflicts, Case c)
        {
            var e = string.Join(";", model.Conflicts.OrderBy(x => x.Key).Select(x => $"{x.Key}:{string.Join(",", x.Branches)}:{x.Winner}"));
            var a = string.Join(";", conflicts.OrderBy(x => x.Key, StringComparer.OrdinalIgnoreCase)
                .Select(x => $"{x.Key.ToLowerInvariant()}:{string.Join(",", x.Branches)}:{x.Winner}"));
            if (e != a) throw new Exception($"expected conflicts [{e}] but got [{a}] for {c}");
        }

        // ---- through StateMerger over forks, with the branches' operations interleaved at random ----

        private static MergeResult MergeForks(AgnoState state, Case c, MergePolicy policy)
        {
            var snapshot = state.Snapshot();
            var forks = c.Branches.Select(_ => AgnoState.ForkOf(snapshot)).ToArray();
            var next = new int[forks.Length];
            foreach (int pick in c.Schedule)
            {
                var open = Enumerable.Range(0, forks.Length).Where(i => next[i] < c.Branches[i].Count).ToList();
                if (open.Count == 0) break;
                int i = open[pick % open.Count];
                Apply(forks[i], c.Branches[i][next[i]++]);
            }
            for (int i = 0; i < forks.Length; i++)
            {
                while (next[i] < c.Branches[i].Count) Apply(forks[i], c.Branches[i][next[i]++]);
            }
            var deltas = forks.Select((f, i) => new BranchDelta("b" + i, f.GetDelta())).ToList();
            return StateMerger.Merge("p", snapshot, deltas, policy);
        }

        [Theory]
        [InlineData(MergeStrategy.LastWriteWins)]
        [InlineData(MergeStrategy.FirstWriteWins)]
        public void StateMerger_over_forks_equals_the_model(MergeStrategy strategy)
        {
            GenCase.Sample(c =>
            {
                var state = InitialState(c);
                var result = MergeForks(state, c, new MergePolicy { Strategy = strategy });
                state.Apply(result.Delta);
                var model = Expected(c, strategy);
                AssertSame(model.Final, Actual(state), c);
                AssertConflicts(model, result.Conflicts, c);
            }, iter: Iterations);
        }

        [Fact]
        public void StateMerger_with_Fail_throws_and_changes_nothing_or_equals_the_model()
        {
            GenCase.Sample(c =>
            {
                var state = InitialState(c);
                var before = Actual(state);
                var model = Expected(c, MergeStrategy.Fail);
                try
                {
                    var result = MergeForks(state, c, new MergePolicy { Strategy = MergeStrategy.Fail });
                    if (model.Conflicts.Count > 0) throw new Exception($"expected a MergeConflictException for {c}");
                    Assert.Empty(result.Conflicts);
                    state.Apply(result.Delta);
                    AssertSame(model.Final, Actual(state), c);
                }
                catch (MergeConflictException e)
                {
                    AssertConflicts(model, e.Conflicts, c);
                    AssertSame(before, Actual(state), c);
                }
            }, iter: Iterations);
        }

        // ---- through ParallelNode, with branches finishing in a random order ----

        private static async Task<(AgnoSession Session, RunRecord? Run, Exception? Error)> RunParallel(Case c, MergeStrategy strategy)
        {
            var names = Enumerable.Range(0, c.Branches.Length).Select(i => "b" + i).ToArray();
            var order = new CompletionOrder(c.CompletionOrder.Where(i => i < names.Length).Select(i => names[i]));
            var parallel = new ParallelNode("p") { MergePolicy = new MergePolicy { Strategy = strategy } };
            for (int i = 0; i < names.Length; i++)
            {
                var ops = c.Branches[i];
                var name = names[i];
                parallel.AddNode(new Step(name, async (s, ct) =>
                {
                    await order.TurnOf(name).ConfigureAwait(false);
                    foreach (var op in ops) Apply(s.State, op);
                }));
            }
            var session = AgnoSession.Create(state: InitialState(c));
            try
            {
                var run = await parallel.ExecuteAsync(session, options: new RunOptions { Observer = order }).Guarded().ConfigureAwait(false);
                var completed = string.Join(",", order.Completed);
                var wanted = string.Join(",", c.CompletionOrder.Where(i => i < names.Length).Select(i => names[i]));
                if (completed != wanted) throw new Exception($"branches finished in order {completed}, not {wanted}");
                return (session, run, null);
            }
            catch (AgnoException e)
            {
                return (session, null, e);
            }
        }

        [Theory]
        [InlineData(MergeStrategy.LastWriteWins)]
        [InlineData(MergeStrategy.FirstWriteWins)]
        public async Task ParallelNode_equals_the_model_whatever_the_completion_order(MergeStrategy strategy)
        {
            await GenCase.SampleAsync(async c =>
            {
                var (session, run, error) = await RunParallel(c, strategy);
                if (error != null) throw error;
                var model = Expected(c, strategy);
                AssertSame(model.Final, Actual(session.State), c);
                AssertConflicts(model, run!.Conflicts, c);
            }, iter: Iterations);
        }

        [Fact]
        public async Task ParallelNode_with_Fail_throws_and_changes_nothing_or_equals_the_model()
        {
            await GenCase.SampleAsync(async c =>
            {
                var before = Actual(InitialState(c));
                var model = Expected(c, MergeStrategy.Fail);
                var (session, run, error) = await RunParallel(c, MergeStrategy.Fail);
                if (error != null)
                {
                    var conflict = Assert.IsType<MergeConflictException>(error);
                    if (model.Conflicts.Count == 0) throw new Exception($"unexpected {error.Message} for {c}");
                    AssertConflicts(model, conflict.Conflicts, c);
                    AssertSame(before, Actual(session.State), c);
                }
                else
                {
                    if (model.Conflicts.Count > 0) throw new Exception($"expected a MergeConflictException for {c}");
                    AssertSame(model.Final, Actual(session.State), c);
                }
            }, iter: Iterations);
        }

        [Fact]
        public async Task Merge_is_deterministic_regardless_of_completion_order()
        {
            // The same branches, finishing in two different random orders, give the same state and conflicts.
            await Gen.Select(GenCase, Gen.Int.Array[5]).SampleAsync(async (c, otherKeys) =>
            {
                var other = c with
                {
                    CompletionOrder = Enumerable.Range(0, c.Branches.Length).OrderBy(i => otherKeys[i]).ThenBy(i => i).ToArray(),
                };
                var first = await RunParallel(c, MergeStrategy.LastWriteWins);
                var second = await RunParallel(other, MergeStrategy.LastWriteWins);
                AssertSame(Actual(first.Session.State), Actual(second.Session.State), c);
                var a = string.Join(";", first.Run!.Conflicts.Select(x => x.ToString()));
                var b = string.Join(";", second.Run!.Conflicts.Select(x => x.ToString()));
                if (a != b) throw new Exception($"conflicts [{a}] vs [{b}] for {c}");
            }, iter: Iterations);
        }
    }
}
