using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Agno.Core;
using CsCheck;
using Xunit;
using static Agno.Tests.TestSupport;

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

        [Theory]
        [InlineData(MergeStrategy.LastWriteWins)]
        [InlineData(MergeStrategy.FirstWriteWins)]
        [InlineData(MergeStrategy.Fail)]
        public void Folding_branches_one_by_one_equals_merging_the_list(MergeStrategy strategy)
        {
            GenCase.Sample(c =>
            {
                var state = InitialState(c);
                var snapshot = state.Snapshot();
                var deltas = c.Branches.Select((ops, i) => Branch(snapshot, "b" + i, s => { foreach (var op in ops) Apply(s, op); })).ToList();
                // Half of the keys combine (Sum, with its own rule for removals), half overwrite.
                MergePolicy Policy()
                {
                    var policy = new MergePolicy { Strategy = strategy };
                    for (int k = 0; k < KeyCount; k += 2) policy.WithReducer("k" + k, Reducers.Sum());
                    return policy;
                }
                string Describe(Func<MergeResult> merge)
                {
                    try
                    {
                        var result = merge();
                        return string.Join(";", result.Delta.Changes.OrderBy(x => x.Key, StringComparer.OrdinalIgnoreCase).Select(x => $"{x.Key}={(x.IsRemoval ? "-" : x.Value)}"))
                            + " | " + string.Join(";", result.Conflicts.Select(x => $"{x.Path}:{string.Join(",", x.Branches)}:{x.Winner}"));
                    }
                    catch (MergeConflictException e)
                    {
                        return "fail: " + string.Join(";", e.Conflicts.Select(x => x.Path));
                    }
                }
                var listed = Describe(() => StateMerger.Merge("p", snapshot, deltas, Policy()));
                var folded = Describe(() =>
                {
                    var merger = new StateMerger("p", snapshot, Policy());
                    foreach (var delta in deltas) merger.Add(delta);
                    Assert.Equal(deltas.Count, merger.BranchCount);
                    return merger.Complete();
                });
                if (listed != folded) throw new Exception($"folded [{folded}] but merged [{listed}] for {c}");
            }, iter: Iterations);
        }

        // ---- through ParallelNode, with branches finishing in a random order ----

        /// <param name="fed">Feed the branches while the node runs (the pipeline form) instead of giving them up front.</param>
        private static async Task<(AgnoSession Session, RunRecord? Run, Exception? Error)> RunParallel(Case c, MergeStrategy strategy, bool fed = false)
        {
            var names = Enumerable.Range(0, c.Branches.Length).Select(i => "b" + i).ToArray();
            var order = new CompletionOrder(c.CompletionOrder.Where(i => i < names.Length).Select(i => names[i]));
            var feed = fed ? new BranchFeed(names.Length) : null;
            var parallel = feed != null ? new ParallelNode("p", feed) : new ParallelNode("p");
            parallel.MergePolicy = new MergePolicy { Strategy = strategy };
            var branches = new List<WorkflowNode>();
            for (int i = 0; i < names.Length; i++)
            {
                var ops = c.Branches[i];
                var name = names[i];
                branches.Add(new Step(name, async (s, ct) =>
                {
                    await order.TurnOf(name).ConfigureAwait(false);
                    foreach (var op in ops) Apply(s.State, op);
                }));
            }
            if (feed == null) foreach (var b in branches) parallel.AddNode(b);
            var session = AgnoSession.Create(state: InitialState(c));
            try
            {
                var running = parallel.ExecuteAsync(session, options: new RunOptions { Observer = order });
                if (feed != null)
                {
                    foreach (var b in branches) Assert.True(await feed.AddAsync(b).Guarded());
                    feed.Complete();
                }
                var run = await running.Guarded().ConfigureAwait(false);
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
        [InlineData(MergeStrategy.LastWriteWins, false)]
        [InlineData(MergeStrategy.FirstWriteWins, false)]
        [InlineData(MergeStrategy.LastWriteWins, true)]
        [InlineData(MergeStrategy.FirstWriteWins, true)]
        public async Task ParallelNode_equals_the_model_whatever_the_completion_order(MergeStrategy strategy, bool fed)
        {
            await GenCase.SampleAsync(async c =>
            {
                var (session, run, error) = await RunParallel(c, strategy, fed);
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
    
        // ==== reducers against models: numbers, lists and nested dictionaries ====

        private const long ReducerIterations = 300;

        /// <summary>Values of every numeric type; the first seven are signed (a signed sum of small values never overflows).</summary>
        private static readonly Func<int, object>[] NumberMakers =
        {
            k => (sbyte)k, k => (short)k, k => k, k => (long)k, k => k / 2f, k => k / 2d, k => k / 2m,
            k => (byte)k, k => (uint)k, k => (ulong)k,
        };

        public sealed record NumberCase(object? Base, object[] Branches, int[] Order)
        {
            public override string ToString() =>
                $"base {Show(Base)} branches {string.Join(", ", Branches.Select(Show))} order {string.Join(",", Order)}";
        }

        private static string Show(object? v) => v == null ? "null" : $"[{v.GetType().Name}]{Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture)}";

        private static Gen<object> GenNumber(int types) => Gen.Select(Gen.Int[0, types - 1], Gen.Int[0, 6], (t, k) => NumberMakers[t](k));

        private static Gen<int[]> GenOrder(int count) => Gen.Int.Array[count].Select(keys => Enumerable.Range(0, count).OrderBy(i => keys[i]).ThenBy(i => i).ToArray());

        private static Gen<NumberCase> GenNumberCase(int types) =>
            from b in GenNumber(types)
            from hasBase in Gen.Bool
            from branches in GenNumber(types).Array[1, 5]
            from order in GenOrder(branches.Length)
            select new NumberCase(hasBase ? b : null, branches, order);

        /// <summary>PowerShell's arithmetic result types, narrowest first (what pwsh 7 gives for a + b).</summary>
        private static int RankOf(object v) => v switch
        {
            sbyte _ or byte _ or short _ or ushort _ or int _ => 0,
            uint _ => 1,
            long _ => 2,
            ulong _ => 3,
            float _ or double _ => 4,
            _ => 5,
        };

        private static readonly Type[] RankTypes = { typeof(int), typeof(uint), typeof(long), typeof(ulong), typeof(double), typeof(decimal) };

        /// <summary>A branch changes a key when its value differs from base in type or value.</summary>
        private static bool ChangesNumber(object? baseValue, object v) => baseValue == null || baseValue.GetType() != v.GetType() || !baseValue.Equals(v);

        /// <summary>The model: exact decimal arithmetic, and the type rule (one type stays for Max/Min; else the widest rank).</summary>
        private static object? ExpectedNumber(string reducer, object? baseValue, IEnumerable<object> branchValues)
        {
            var changed = branchValues.Where(v => ChangesNumber(baseValue, v)).ToList();
            if (changed.Count == 0) return baseValue;
            var all = (baseValue == null ? changed : changed.Prepend(baseValue)).ToList();
            decimal D(object? v) => v == null ? 0m : Convert.ToDecimal(v);
            if (reducer == "Sum")
            {
                decimal exact = D(baseValue) + changed.Sum(v => D(v) - D(baseValue));
                var type = RankTypes[all.Max(RankOf)];
                bool fits = type == typeof(int) ? exact >= int.MinValue && exact <= int.MaxValue
                    : type == typeof(uint) ? exact >= 0 && exact <= uint.MaxValue
                    : type == typeof(long) ? exact >= long.MinValue && exact <= long.MaxValue
                    : type == typeof(ulong) ? exact >= 0 && exact <= ulong.MaxValue
                    : true;
                return Convert.ChangeType(exact, fits ? type : typeof(double));
            }
            var extreme = reducer == "Max" ? all.Max(D) : all.Min(D);
            var resultType = all.Select(v => v.GetType()).Distinct().Count() == 1 ? all[0].GetType() : RankTypes[all.Max(RankOf)];
            return Convert.ChangeType(extreme, resultType);
        }

        /// <summary>Same type and value (a decimal's trailing zeros aside).</summary>
        private static bool SameNumber(object? actual, object? expected) =>
            actual?.GetType() == expected?.GetType() && (actual == null || Convert.ToDecimal(actual) == Convert.ToDecimal(expected));

        private static readonly object Missing = new object();

        /// <summary>Merges one key set by each branch (named b0, b1... by <paramref name="names"/>), in the order given.</summary>
        private static (object? Value, MergeResult Result) MergeKey(string key, bool hasBase, object? baseValue, IReadOnlyList<(string Name, object? Value, bool Remove)> branches, MergePolicy policy)
        {
            var state = new AgnoState();
            if (hasBase) state.Set(key, baseValue);
            var snapshot = state.Snapshot();
            var deltas = branches.Select(b => TestSupport.Branch(snapshot, b.Name, s => { if (b.Remove) s.Remove(key); else s.Set(key, b.Value); })).ToList();
            var result = StateMerger.Merge("p", snapshot, deltas, policy);
            state.Apply(result.Delta);
            return (state.TryGet(key, out var value) ? value : Missing, result);
        }

        [Theory]
        [InlineData("Sum", 7)]
        [InlineData("Max", 10)]
        [InlineData("Min", 10)]
        public void Numeric_reducers_equal_the_model_and_their_type_never_depends_on_branch_order(string reducer, int types)
        {
            GenNumberCase(types).Sample(c =>
            {
                var expected = ExpectedNumber(reducer, c.Base, c.Branches);
                var inOrder = c.Branches.Select((v, i) => ("b" + i, (object?)v, false)).ToList();
                var permuted = c.Order.Select(i => inOrder[i]).ToList();
                foreach (var branches in new[] { inOrder, permuted })
                {
                    var (actual, result) = MergeKey("n", c.Base != null, c.Base, branches, new MergePolicy().WithReducer("n", Reducers.FromName(reducer)));
                    if (!SameNumber(actual, expected)) throw new Exception($"{reducer}: expected {Show(expected)} but got {Show(actual)} for {c}");
                    Assert.Empty(result.Conflicts);
                }
            }, iter: ReducerIterations);
        }

        // ---- lists ----

        public sealed record ListCase(string[]? Base, string[][] Branches)
        {
            public override string ToString() =>
                $"base {(Base == null ? "none" : "[" + string.Join(",", Base) + "]")} branches " + string.Join(" | ", Branches.Select(b => "[" + string.Join(",", b) + "]"));
        }

        private static readonly Gen<string[]> GenItems = Gen.OneOfConst("a", "b", "c").Array[0, 3];

        /// <summary>Each branch either reads, appends and writes (base's items, then its own) or writes only its own items.</summary>
        private static readonly Gen<ListCase> GenListCase =
            from b in GenItems
            from hasBase in Gen.Bool
            from branches in Gen.Select(Gen.Bool, GenItems).Array[1, 4]
            select new ListCase(hasBase ? b : null,
                branches.Select(x => x.Item1 && hasBase ? b.Concat(x.Item2).ToArray() : x.Item2).ToArray());

        private static string[]? ExpectedList(string reducer, ListCase c)
        {
            var changed = c.Branches.Where(l => c.Base == null || !l.SequenceEqual(c.Base)).ToList();
            if (changed.Count == 0) return c.Base;
            var baseItems = c.Base ?? Array.Empty<string>();
            var result = baseItems.ToList();
            foreach (var list in changed)
            {
                if (reducer == "Append") result.AddRange(list.Take(baseItems.Length).SequenceEqual(baseItems) ? list.Skip(baseItems.Length) : list);
                else result.AddRange(list.Where(item => !result.Contains(item)).Distinct().ToList());
            }
            return result.ToArray();
        }

        [Theory]
        [InlineData("Append")]
        [InlineData("Union")]
        public void List_reducers_equal_the_model_for_both_ways_of_writing_a_list(string reducer)
        {
            GenListCase.Sample(c =>
            {
                var (actual, _) = MergeKey("log", c.Base != null, c.Base,
                    c.Branches.Select((l, i) => ("b" + i, (object?)l, false)).ToList(), new MergePolicy().WithReducer("log", Reducers.FromName(reducer)));
                var expected = ExpectedList(reducer, c);
                var got = Assert.IsType<string[]>(actual);
                if (!got.SequenceEqual(expected!)) throw new Exception($"{reducer}: expected [{string.Join(",", expected!)}] but got [{string.Join(",", got)}] for {c}");
            }, iter: ReducerIterations);
        }

        // ---- nested dictionaries ----

        /// <summary>A tree: keys from a small alphabet, values small ints or trees, so that branches collide often.</summary>
        private sealed class Tree : SortedDictionary<string, object>
        {
            public Tree() : base(StringComparer.Ordinal) { }
        }

        private static readonly string[] Alphabet = { "a", "b", "c" };

        private static Gen<object> GenTreeValue(int depth) => depth == 0
            ? Gen.Int[0, 2].Select(i => (object)i)
            : Gen.Frequency((3, Gen.Int[0, 2].Select(i => (object)i)), (2, GenTree(depth - 1).Select(t => (object)t)));

        private static Gen<Tree> GenTree(int depth) =>
            Gen.Select(Gen.Bool.Array[Alphabet.Length], GenTreeValue(depth).Array[Alphabet.Length], (present, values) =>
            {
                var tree = new Tree();
                for (int i = 0; i < Alphabet.Length; i++) if (present[i]) tree[Alphabet[i]] = values[i];
                return tree;
            });

        /// <summary>An edit a branch makes: set path to an int (Kind 0), remove it (1), or set it to an empty dictionary (2).</summary>
        public sealed record Edit(string[] Path, int Kind, int Value)
        {
            public override string ToString() => string.Join(".", Path) + (Kind == 0 ? "=" + Value : Kind == 1 ? " removed" : "={}");
        }

        public sealed record TreeBranch(bool RemovesKey, Edit[] Edits)
        {
            public override string ToString() => RemovesKey ? "remove key" : "[" + string.Join("; ", Edits.Select(e => e.ToString())) + "]";
        }

        public sealed record TreeCase(object? Base, TreeBranch[] Branches, int[] CompletionOrder)
        {
            public override string ToString() => $"base {Render(Base)} branches {string.Join(" | ", Branches.Select(b => b.ToString()))}";
        }

        private static readonly Gen<Edit> GenEdit =
            Gen.Select(Gen.OneOfConst(Alphabet).Array[1, 3], Gen.Int[0, 2], Gen.Int[0, 2], (path, kind, value) => new Edit(path, kind, value));

        private static readonly Gen<TreeCase> GenTreeCase =
            from b in GenTree(2)
            from hasBase in Gen.Frequency((4, Gen.Const(true)), (1, Gen.Const(false)))
            from branches in Gen.Select(Gen.Int[0, 9], GenEdit.Array[0, 4], (removes, edits) => new TreeBranch(removes == 0, edits)).Array[1, 4]
            from order in GenOrder(4)
            select new TreeCase(hasBase ? b : null, branches, order);

        private static Tree Copy(Tree tree)
        {
            var copy = new Tree();
            foreach (var kv in tree) copy[kv.Key] = kv.Value is Tree t ? Copy(t) : kv.Value;
            return copy;
        }

        private static Tree Edited(Tree? baseTree, Edit[] edits)
        {
            var tree = baseTree == null ? new Tree() : Copy(baseTree);
            foreach (var edit in edits)
            {
                var node = tree;
                foreach (var segment in edit.Path.Take(edit.Path.Length - 1))
                {
                    if (!(node.TryGetValue(segment, out var next) && next is Tree nested)) node[segment] = nested = new Tree();
                    node = nested;
                }
                var last = edit.Path[edit.Path.Length - 1];
                if (edit.Kind == 0) node[last] = edit.Value;
                else if (edit.Kind == 1) node.Remove(last);
                else node[last] = new Tree();
            }
            return tree;
        }

        private static string Render(object? value) => value switch
        {
            null => "null",
            IDictionary d => "{" + string.Join(",", d.Keys.Cast<object>().Select(k => k.ToString()!).OrderBy(k => k, StringComparer.Ordinal)
                .Select(k => k + ":" + Render(d[k]))) + "}",
            _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!,
        };

        private static Hashtable ToHashtable(Tree tree)
        {
            var table = new Hashtable(StringComparer.OrdinalIgnoreCase);
            foreach (var kv in tree) table[kv.Key] = kv.Value is Tree t ? ToHashtable(t) : kv.Value;
            return table;
        }

        private enum ModelKind { Set, Removal, Combined }

        private sealed record ModelChange(int Branch, string[] Path, ModelKind Kind, object? Value);

        private static void ModelDiff(Tree before, Tree after, List<string> prefix, int branch, List<ModelChange> changes)
        {
            foreach (var kv in after)
            {
                var path = prefix.Append(kv.Key).ToArray();
                if (!before.TryGetValue(kv.Key, out var old)) changes.Add(new ModelChange(branch, path, ModelKind.Set, kv.Value));
                else if (old is Tree o && kv.Value is Tree n) ModelDiff(o, n, path.ToList(), branch, changes);
                else if (Render(old) != Render(kv.Value)) changes.Add(new ModelChange(branch, path, ModelKind.Set, kv.Value));
            }
            foreach (var kv in before)
            {
                if (!after.ContainsKey(kv.Key)) changes.Add(new ModelChange(branch, prefix.Append(kv.Key).ToArray(), ModelKind.Removal, null));
            }
        }

        private static bool Comparable(string[] a, string[] b) => a.Zip(b).All(p => p.First == p.Second);

        private static object? TreeAt(Tree tree, IEnumerable<string> path)
        {
            object? node = tree;
            foreach (var segment in path) node = ((Tree)node!)[segment];
            return node;
        }

        private static void ApplyModel(Tree root, ModelChange change, Tree branchTree)
        {
            var node = root;
            for (int depth = 0; depth < change.Path.Length - 1; depth++)
            {
                if (!(node.TryGetValue(change.Path[depth], out var next) && next is Tree nested))
                {
                    node[change.Path[depth]] = Copy((Tree)TreeAt(branchTree, change.Path.Take(depth + 1))!);
                    return;
                }
                node = nested;
            }
            var last = change.Path[change.Path.Length - 1];
            if (change.Kind == ModelKind.Removal) node.Remove(last);
            else node[last] = change.Value is Tree t ? Copy(t) : change.Value!;
        }

        /// <summary>
        /// The model of Merge: each branch's changes are the paths where it differs from base (walking down while
        /// both hold dictionaries). LastWriteWins applies them in branch order (a dictionary gone on the way down
        /// is taken whole from the branch); FirstWriteWins skips a change whose path is at, above or below one
        /// already applied. Conflicts: changes of different branches at comparable paths with different results
        /// (a removal of the key is at the top), grouped transitively, named by the highest path.
        /// </summary>
        private static (string Final, List<string> Conflicts) ExpectedTree(TreeCase c, MergeStrategy strategy)
        {
            var baseTree = c.Base as Tree;
            var changed = new List<(int Branch, Tree? Value)>();
            for (int i = 0; i < c.Branches.Length; i++)
            {
                var b = c.Branches[i];
                if (b.RemovesKey) { if (baseTree != null) changed.Add((i, null)); continue; }
                var value = Edited(baseTree, b.Edits);
                if (baseTree == null || Render(value) != Render(baseTree)) changed.Add((i, value));
            }

            var records = new List<ModelChange>();
            Tree? root = baseTree == null ? null : Copy(baseTree);
            bool removedFirst = strategy == MergeStrategy.FirstWriteWins && changed.Count > 0 && changed[0].Value == null;
            var applied = new List<string[]>();
            foreach (var (branch, value) in changed)
            {
                if (value == null)
                {
                    records.Add(new ModelChange(branch, Array.Empty<string>(), ModelKind.Removal, null));
                    if (strategy == MergeStrategy.FirstWriteWins && !removedFirst) continue;
                    root = null;
                    continue;
                }
                if (removedFirst)
                {
                    records.Add(new ModelChange(branch, Array.Empty<string>(), ModelKind.Combined, null));
                    continue;
                }
                var diffs = new List<ModelChange>();
                ModelDiff(baseTree ?? new Tree(), value, new List<string>(), branch, diffs);
                records.AddRange(diffs);
                if (diffs.Count == 0) records.Add(new ModelChange(branch, Array.Empty<string>(), ModelKind.Combined, null));
                if (strategy == MergeStrategy.FirstWriteWins)
                {
                    root ??= new Tree();
                    foreach (var d in diffs.Where(d => !applied.Any(p => Comparable(p, d.Path))))
                    {
                        ApplyModel(root, d, value);
                        applied.Add(d.Path);
                    }
                }
                else if (root == null) root = Copy(value);
                else foreach (var d in diffs) ApplyModel(root, d, value);
            }
            string final = changed.Count == 0 ? Render(baseTree) : Render(root);

            bool Clash(ModelChange x, ModelChange y)
            {
                if (x.Branch == y.Branch) return false;
                if (x.Kind == ModelKind.Combined || y.Kind == ModelKind.Combined)
                {
                    return (x.Kind == ModelKind.Removal && x.Path.Length == 0) || (y.Kind == ModelKind.Removal && y.Path.Length == 0);
                }
                if (!Comparable(x.Path, y.Path)) return false;
                if (x.Path.Length != y.Path.Length || x.Kind != y.Kind) return true;
                return x.Kind == ModelKind.Set && Render(x.Value) != Render(y.Value);
            }
            var group = Enumerable.Range(0, records.Count).ToArray();
            int Find(int i) => group[i] == i ? i : group[i] = Find(group[i]);
            for (int i = 0; i < records.Count; i++)
            {
                for (int j = i + 1; j < records.Count; j++)
                {
                    if (Clash(records[i], records[j])) group[Math.Max(Find(i), Find(j))] = Math.Min(Find(i), Find(j));
                }
            }
            var conflicts = Enumerable.Range(0, records.Count).GroupBy(Find).Where(g => g.Count() > 1).Select(g =>
            {
                var branches = g.Select(i => records[i].Branch).Distinct().OrderBy(b => b).ToList();
                var path = string.Join(".", g.Select(i => records[i].Path).OrderBy(p => p.Length).First().Prepend("cfg"));
                var winner = strategy == MergeStrategy.LastWriteWins ? "b" + branches.Last() : strategy == MergeStrategy.FirstWriteWins ? "b" + branches.First() : "";
                return $"{path}:{string.Join(",", branches.Select(b => "b" + b))}:{winner}";
            }).OrderBy(x => x, StringComparer.Ordinal).ToList();
            return (final, conflicts);
        }

        private static List<string> Shown(IEnumerable<MergeConflict> conflicts) =>
            conflicts.Select(x => $"{x.Path}:{string.Join(",", x.Branches)}:{x.Winner}").ToList();

        private static List<(string, object?, bool)> TreeBranches(TreeCase c) =>
            c.Branches.Select((b, i) => ("b" + i, b.RemovesKey ? null : (object?)ToHashtable(Edited(c.Base as Tree, b.Edits)), b.RemovesKey)).ToList();

        [Theory]
        [InlineData(MergeStrategy.LastWriteWins)]
        [InlineData(MergeStrategy.FirstWriteWins)]
        [InlineData(MergeStrategy.Fail)]
        public void Merge_reducer_over_nested_dictionaries_equals_the_model(MergeStrategy strategy)
        {
            GenTreeCase.Sample(c =>
            {
                var (expected, expectedConflicts) = ExpectedTree(c, strategy);
                var baseValue = c.Base is Tree t ? ToHashtable(t) : null;
                var policy = new MergePolicy { Strategy = strategy }.WithReducer("cfg", Reducers.Merge());
                try
                {
                    var (actual, result) = MergeKey("cfg", c.Base != null, baseValue, TreeBranches(c), policy);
                    if (strategy == MergeStrategy.Fail && expectedConflicts.Count > 0) throw new Exception($"expected a MergeConflictException for {c}");
                    var got = actual == Missing ? "null" : Render(actual);
                    if (got != expected) throw new Exception($"expected {expected} but got {got} for {c}");
                    var conflicts = Shown(result.Conflicts);
                    if (!conflicts.SequenceEqual(expectedConflicts))
                        throw new Exception($"expected conflicts [{string.Join("; ", expectedConflicts)}] but got [{string.Join("; ", conflicts)}] for {c}");
                }
                catch (MergeConflictException e) when (strategy == MergeStrategy.Fail)
                {
                    var conflicts = Shown(e.Conflicts);
                    if (!conflicts.SequenceEqual(expectedConflicts))
                        throw new Exception($"expected conflicts [{string.Join("; ", expectedConflicts)}] but got [{string.Join("; ", conflicts)}] for {c}");
                }
            }, iter: ReducerIterations);
        }

        // ---- through ParallelNode: branch order, not completion order, decides ----

        [Fact]
        public async Task Reducers_in_a_parallel_node_equal_the_models_in_branch_order_whatever_the_completion_order()
        {
            var gen = Gen.Select(GenNumberCase(7), GenListCase, GenTreeCase, (n, l, t) => (n, l, t));
            await gen.SampleAsync(async x =>
            {
                var (n, l, t) = x;
                int count = Math.Min(n.Branches.Length, Math.Min(l.Branches.Length, t.Branches.Length));
                var numbers = n with { Branches = n.Branches.Take(count).ToArray() };
                var lists = l with { Branches = l.Branches.Take(count).ToArray() };
                var trees = t with { Branches = t.Branches.Take(count).ToArray() };
                var names = Enumerable.Range(0, count).Select(i => "b" + i).ToArray();
                var order = new CompletionOrder(trees.CompletionOrder.Where(i => i < count).Select(i => names[i]));
                var parallel = new ParallelNode("p")
                {
                    MergePolicy = new MergePolicy().WithReducer("n", Reducers.Sum()).WithReducer("log", Reducers.Append()).WithReducer("cfg", Reducers.Merge()),
                };
                var treeValues = TreeBranches(trees);
                for (int i = 0; i < count; i++)
                {
                    int branch = i;
                    parallel.AddNode(new Step(names[i], async (s, ct) =>
                    {
                        await order.TurnOf(names[branch]).ConfigureAwait(false);
                        s.State.Set("n", numbers.Branches[branch]);
                        s.State.Set("log", lists.Branches[branch]);
                        if (treeValues[branch].Item3) s.State.Remove("cfg");
                        else s.State.Set("cfg", treeValues[branch].Item2);
                    }));
                }
                var session = AgnoSession.Create();
                if (numbers.Base != null) session.State.Set("n", numbers.Base);
                if (lists.Base != null) session.State.Set("log", lists.Base);
                if (trees.Base is Tree tree) session.State.Set("cfg", ToHashtable(tree));

                var run = await parallel.ExecuteAsync(session, options: new RunOptions { Observer = order }).Guarded();

                var wanted = string.Join(",", trees.CompletionOrder.Where(i => i < count).Select(i => names[i]));
                if (string.Join(",", order.Completed) != wanted) throw new Exception($"branches finished in order {string.Join(",", order.Completed)}, not {wanted}");
                string Read(string key) => session.State.TryGet(key, out var v) ? (v is string[] items ? string.Join(",", items) : v is IDictionary ? Render(v) : Show(v)) : "null";
                var expectedList = ExpectedList("Append", lists);
                var expectedNumber = ExpectedNumber("Sum", numbers.Base, numbers.Branches);
                if (!SameNumber(session.State.Get("n"), expectedNumber)) throw new Exception($"Sum: expected {Show(expectedNumber)} but got {Show(session.State.Get("n"))} for {numbers}");
                var expected = $"{Show(session.State.Get("n"))} | {(expectedList == null ? "null" : string.Join(",", expectedList))} | {ExpectedTree(trees, MergeStrategy.LastWriteWins).Final}";
                var actual = $"{Read("n")} | {Read("log")} | {Read("cfg")}";
                if (actual != expected) throw new Exception($"expected {expected} but got {actual} for completion {wanted}: {numbers}; {lists}; {trees}");
                var conflicts = Shown(run.Conflicts);
                var expectedConflicts = ExpectedTree(trees, MergeStrategy.LastWriteWins).Conflicts;
                if (!conflicts.SequenceEqual(expectedConflicts)) throw new Exception($"expected conflicts [{string.Join("; ", expectedConflicts)}] but got [{string.Join("; ", conflicts)}]");
            }, iter: Iterations);
        }
    }
}
