using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Agno.Core;
using Xunit;
using static Agno.Tests.TestSupport;

namespace Agno.Tests
{
    public class MergeTests
    {
        private static AgnoState StateWith(params (string Key, object? Value)[] entries)
        {
            var state = new AgnoState();
            foreach (var (k, v) in entries) state.Set(k, v);
            return state;
        }

        private static MergePolicy Policy(MergeStrategy strategy) => new MergePolicy { Strategy = strategy };

        private static MergeResult MergeInto(AgnoState state, MergePolicy policy, params (string Name, Action<AgnoState> Change)[] branches)
        {
            var snapshot = state.Snapshot();
            var deltas = branches.Select(b => Branch(snapshot, b.Name, b.Change)).ToList();
            var result = StateMerger.Merge("node", snapshot, deltas, policy);
            state.Apply(result.Delta);
            return result;
        }

        // ---- the merge rule, through StateMerger ----

        [Fact]
        public void Merge_applies_branches_in_branch_order_last_write_wins_by_default()
        {
            var state = StateWith(("a", 0));
            var result = MergeInto(state, new MergePolicy(),
                ("b1", s => s.Set("a", 1)),
                ("b2", s => s.Set("a", 2)));
            Assert.Equal(2, state.Get("a"));
            var conflict = Assert.Single(result.Conflicts);
            Assert.Equal("a", conflict.Key);
            Assert.Equal(new[] { "b1", "b2" }, conflict.Branches);
            Assert.Equal("b2", conflict.Winner);
            Assert.Equal(MergeStrategy.LastWriteWins, conflict.Strategy);
        }

        [Fact]
        public void Merge_untouched_key_never_overwrites_earlier_branch()
        {
            var state = StateWith(("x", 1), ("y", 1));
            var result = MergeInto(state, new MergePolicy(),
                ("b1", s => s.Set("x", 2)),
                ("b2", s => { _ = s.Get("x"); s.Set("y", 2); })); // b2 read x but did not change it
            Assert.Equal(2, state.Get("x"));
            Assert.Equal(2, state.Get("y"));
            Assert.Empty(result.Conflicts);
            Assert.Equal(new[] { "x", "y" }, result.Delta.Changes.Select(c => c.Key).OrderBy(k => k));
        }

        [Fact]
        public void Merge_keeps_changes_made_to_the_state_after_the_fork_on_keys_no_branch_changed()
        {
            var state = StateWith(("x", 1), ("other", 1));
            var snapshot = state.Snapshot();
            var deltas = new[] { Branch(snapshot, "b1", s => s.Set("x", 2)) };
            state.Set("other", 99);
            state.Apply(StateMerger.Merge("n", snapshot, deltas, new MergePolicy()).Delta);
            Assert.Equal(99, state.Get("other"));
            Assert.Equal(2, state.Get("x"));
        }

        [Fact]
        public void Merge_applies_removals()
        {
            var state = StateWith(("x", 1), ("y", 1));
            var result = MergeInto(state, new MergePolicy(),
                ("b1", s => s.Remove("x")),
                ("b2", s => s.Set("y", 2)));
            Assert.False(state.ContainsKey("x"));
            Assert.Equal(2, state.Get("y"));
            Assert.Equal(new[] { "x" }, result.Delta.RemovedKeys);
        }

        [Fact]
        public void Merge_removal_against_a_set_is_a_conflict_resolved_by_the_strategy()
        {
            var lww = StateWith(("a", 1));
            var r1 = MergeInto(lww, Policy(MergeStrategy.LastWriteWins), ("b1", s => s.Remove("a")), ("b2", s => s.Set("a", 5)));
            Assert.Equal(5, lww.Get("a"));
            Assert.Single(r1.Conflicts);

            var fww = StateWith(("a", 1));
            var r2 = MergeInto(fww, Policy(MergeStrategy.FirstWriteWins), ("b1", s => s.Remove("a")), ("b2", s => s.Set("a", 5)));
            Assert.False(fww.ContainsKey("a"));
            Assert.Equal("b1", Assert.Single(r2.Conflicts).Winner);
        }

        [Fact]
        public void Merge_set_to_the_same_value_as_base_is_not_a_change()
        {
            var state = StateWith(("a", 1), ("list", new List<int> { 1 }));
            var result = MergeInto(state, Policy(MergeStrategy.FirstWriteWins),
                ("b1", s => { s.Set("a", 1); s.Set("list", new List<int> { 1 }); }),
                ("b2", s => s.Set("a", 2)));
            Assert.Equal(2, state.Get("a")); // b1 did not change a, so b2 is the only writer even under FirstWriteWins
            Assert.Empty(result.Conflicts);
            Assert.Equal(new[] { "a" }, result.Delta.Changes.Select(c => c.Key));
        }

        [Fact]
        public void Merge_a_key_created_then_removed_in_a_branch_is_not_a_change()
        {
            var state = StateWith(("a", 1));
            var result = MergeInto(state, Policy(MergeStrategy.Fail),
                ("b1", s => { s.Set("tmp", 1); s.Remove("tmp"); }),
                ("b2", s => s.Set("tmp", 2)));
            Assert.Equal(2, state.Get("tmp"));
            Assert.Empty(result.Conflicts);
        }

        [Fact]
        public void Merge_two_branches_making_the_same_change_is_not_a_conflict()
        {
            var state = StateWith(("a", 1), ("b", 1));
            var result = MergeInto(state, Policy(MergeStrategy.Fail),
                ("b1", s => { s.Set("a", new[] { 5 }); s.Remove("b"); }),
                ("b2", s => { s.Set("a", new[] { 5 }); s.Remove("b"); }));
            Assert.Empty(result.Conflicts);
            Assert.Equal(new[] { 5 }, state.Get("a"));
            Assert.False(state.ContainsKey("b"));
        }

        [Fact]
        public void Merge_first_write_wins_keeps_the_earliest_branch_and_records_the_conflict()
        {
            var state = StateWith(("a", 0));
            var result = MergeInto(state, Policy(MergeStrategy.FirstWriteWins),
                ("b1", s => s.Set("a", 1)),
                ("b2", s => s.Set("a", 2)),
                ("b3", s => s.Set("a", 3)));
            Assert.Equal(1, state.Get("a"));
            var conflict = Assert.Single(result.Conflicts);
            Assert.Equal(new[] { "b1", "b2", "b3" }, conflict.Branches);
            Assert.Equal("b1", conflict.Winner);
            Assert.Equal(MergeStrategy.FirstWriteWins, conflict.Strategy);
        }

        [Fact]
        public void Merge_fail_merges_nothing_and_names_each_conflicting_key_and_its_branches()
        {
            var state = StateWith(("a", 0), ("c", 0));
            var snapshot = state.Snapshot();
            var deltas = new[]
            {
                Branch(snapshot, "b1", s => { s.Set("a", 1); s.Set("c", 1); }),
                Branch(snapshot, "b2", s => { s.Set("a", 2); s.Set("d", 4); }),
                Branch(snapshot, "b3", s => s.Set("c", 3)),
            };

            var e = Assert.Throws<MergeConflictException>(() => StateMerger.Merge("fan", snapshot, deltas, Policy(MergeStrategy.Fail)));

            Assert.Equal("fan", e.NodeName);
            Assert.Equal("AgnoMergeConflict", e.ErrorId);
            Assert.Equal(new[] { "a", "c" }, e.Conflicts.Select(c => c.Key).OrderBy(k => k));
            Assert.Equal(new[] { "b1", "b2" }, e.Conflicts.Single(c => c.Key == "a").Branches);
            Assert.Equal(new[] { "b1", "b3" }, e.Conflicts.Single(c => c.Key == "c").Branches);
            Assert.All(e.Conflicts, c => Assert.Null(c.Winner));
            Assert.Contains("'a' changed by 'b1', 'b2'", e.Message);
            Assert.Contains("'c' changed by 'b1', 'b3'", e.Message);
            Assert.Contains("Nothing was merged", e.Message);
            Assert.Equal(0, state.Get("a"));
            Assert.False(state.ContainsKey("d"));
        }

        [Fact]
        public void Merge_fail_without_conflicts_merges_everything()
        {
            var state = StateWith(("a", 0));
            var result = MergeInto(state, Policy(MergeStrategy.Fail), ("b1", s => s.Set("a", 1)), ("b2", s => s.Set("b", 2)));
            Assert.Empty(result.Conflicts);
            Assert.Equal(1, state.Get("a"));
            Assert.Equal(2, state.Get("b"));
        }

        [Fact]
        public void Merge_keeps_the_base_casing_of_a_key()
        {
            var state = StateWith(("Counter", 1));
            var snapshot = state.Snapshot();
            var fork = AgnoState.ForkOf(snapshot);
            fork.Set("counter", 2);
            var result = StateMerger.Merge("n", snapshot, new[] { new BranchDelta("b", fork.GetDelta()) }, null!);
            Assert.Equal("Counter", result.Delta.Changes.Single().Key);
        }

        [Fact]
        public void Merge_refuses_null_base_or_branches()
        {
            var snapshot = new AgnoState().Snapshot();
            Assert.Throws<ArgumentNullException>(() => StateMerger.Merge("n", null!, Array.Empty<BranchDelta>(), new MergePolicy()));
            Assert.Throws<ArgumentNullException>(() => StateMerger.Merge("n", snapshot, null!, new MergePolicy()));
        }

        [Fact]
        public void Merge_refuses_a_null_branch_naming_its_index()
        {
            var snapshot = StateWith(("a", 1)).Snapshot();
            var branches = new[] { Branch(snapshot, "b0", s => s.Set("a", 2)), null!, Branch(snapshot, "b2", s => s.Set("a", 3)) };
            var e = Assert.Throws<ArgumentException>(() => StateMerger.Merge("fan", snapshot, branches, new MergePolicy()));
            Assert.Equal("branches", e.ParamName);
            Assert.StartsWith("Branch 1 of the merge of 'fan' is null", e.Message);
            Assert.Throws<ArgumentNullException>(() => new BranchDelta("b", null!));
            Assert.Throws<ArgumentNullException>(() => new BranchDelta(null!, StateDelta.Empty));
        }

        [Fact]
        public void Merge_of_no_branches_changes_nothing()
        {
            var result = StateMerger.Merge("n", StateWith(("a", 1)).Snapshot(), Array.Empty<BranchDelta>(), new MergePolicy());
            Assert.True(result.Delta.IsEmpty);
            Assert.Empty(result.Conflicts);
        }

        [Fact]
        public void MergeConflict_ToString_names_key_branches_and_winner()
        {
            Assert.Equal("'k' changed by 'a', 'b' ('b' won)", new MergeConflict("k", new[] { "a", "b" }, "b", MergeStrategy.LastWriteWins).ToString());
            Assert.Equal("'k' changed by 'a', 'b'", new MergeConflict("k", new[] { "a", "b" }, null, MergeStrategy.Fail).ToString());
        }

        // ---- reducers ----

        private static ReducerContext Context(MergeStrategy strategy = MergeStrategy.LastWriteWins) =>
            new ReducerContext("k", strategy, DefaultValueCopier.Instance, new List<PathChange>(), default);

        private static AgnoState ReduceWith(IStateReducer reducer, string key, object? baseValue, params object?[] branchValues)
        {
            var state = new AgnoState();
            if (baseValue != null) state.Set(key, baseValue);
            var branches = branchValues.Select((v, i) => ($"b{i + 1}", (Action<AgnoState>)(s => s.Set(key, v)))).ToArray();
            MergeInto(state, new MergePolicy().WithReducer(key, reducer), branches);
            return state;
        }

        [Fact]
        public void Reducer_Append_adds_the_items_each_branch_added_after_base()
        {
            var state = ReduceWith(Reducers.Append(), "log", new[] { "start" }, new[] { "start", "a" }, new[] { "start", "b" });
            Assert.Equal(new[] { "start", "a", "b" }, Assert.IsType<string[]>(state.Get("log")));
        }

        [Fact]
        public void Reducer_Append_keeps_a_list_type_and_works_without_a_base()
        {
            var state = ReduceWith(Reducers.Append(), "log", null, new List<string> { "a" }, new List<string> { "b", "c" });
            Assert.Equal(new List<string> { "a", "b", "c" }, Assert.IsType<List<string>>(state.Get("log")));
        }

        [Fact]
        public void Reducer_Append_of_mixed_items_into_a_typed_array_falls_back_to_object_array()
        {
            var state = ReduceWith(Reducers.Append(), "log", new[] { "start" }, new object[] { "start", 1 }, new[] { "start", "b" });
            Assert.Equal(new object[] { "start", 1, "b" }, Assert.IsType<object[]>(state.Get("log")));
        }

        [Fact]
        public void Reducer_Append_of_mixed_items_into_a_typed_list_falls_back_to_object_array()
        {
            var state = ReduceWith(Reducers.Append(), "log", new List<string> { "start" }, new List<object> { "start", 1 }, new List<string> { "start", "b" });
            Assert.Equal(new object[] { "start", 1, "b" }, Assert.IsType<object[]>(state.Get("log")));
        }

        [Fact]
        public void Reducer_Append_of_single_values_treats_each_as_one_item()
        {
            var state = ReduceWith(Reducers.Append(), "log", null, "a", "b");
            Assert.Equal(new object[] { "a", "b" }, Assert.IsType<object[]>(state.Get("log")));
        }

        [Fact]
        public void Reducer_Sum_adds_each_branch_difference_from_base_and_keeps_int()
        {
            var state = ReduceWith(Reducers.Sum(), "counter", 10, 11, 15);
            Assert.Equal(16, Assert.IsType<int>(state.Get("counter")));
        }

        [Fact]
        public void Reducer_Sum_without_a_base_adds_the_branch_values()
        {
            var state = ReduceWith(Reducers.Sum(), "counter", null, 2, 3);
            Assert.Equal(5, Assert.IsType<int>(state.Get("counter")));
        }

        [Fact]
        public void Reducer_Sum_of_a_non_number_fails_the_merge_naming_the_key()
        {
            var state = new AgnoState();
            state.Set("counter", 1);
            var snapshot = state.Snapshot();
            var deltas = new[] { Branch(snapshot, "b1", s => s.Set("counter", "two")) };
            var e = Assert.Throws<ReducerFailedException>(() =>
                StateMerger.Merge("n", snapshot, deltas, new MergePolicy().WithReducer("counter", Reducers.Sum())));
            Assert.Equal("counter", e.Key);
            Assert.Equal("Sum", e.Reducer);
            Assert.Equal("b1", e.Branch);
            Assert.IsType<InvalidOperationException>(e.InnerException);
        }

        [Fact]
        public void Reducer_Max_keeps_the_greatest()
        {
            Assert.Equal(9, ReduceWith(Reducers.Max(), "m", 5, 3, 9, 7).Get("m"));
            Assert.Equal(5, ReduceWith(Reducers.Max(), "m", 5, 3, 4).Get("m"));
            Assert.Equal("pear", ReduceWith(Reducers.Max(), "m", null, "apple", "pear", "fig").Get("m"));
        }

        [Fact]
        public void Reducer_Min_keeps_the_least()
        {
            Assert.Equal(3, ReduceWith(Reducers.Min(), "m", 5, 3, 9).Get("m"));
            Assert.Equal(1.5, ReduceWith(Reducers.Min(), "m", 5, 7, 1.5).Get("m"));
        }

        [Fact]
        public void Reducer_Union_keeps_distinct_items_in_first_seen_order()
        {
            var state = ReduceWith(Reducers.Union(), "tags", new[] { 1 }, new[] { 1, 2 }, new[] { 3, 1, 2 });
            Assert.Equal(new[] { 1, 2, 3 }, Assert.IsType<int[]>(state.Get("tags")));
        }

        [Fact]
        public void Reducer_Union_compares_items_structurally()
        {
            var state = ReduceWith(Reducers.Union(), "sets", null,
                new List<object> { new List<int> { 1 } },
                new List<object> { new List<int> { 1 }, new List<int> { 2 } });
            var merged = Assert.IsType<List<object>>(state.Get("sets"));
            Assert.Equal(2, merged.Count);
        }

        [Fact]
        public void Reducer_Merge_combines_the_entries_each_branch_changed()
        {
            var baseValue = new Hashtable(StringComparer.OrdinalIgnoreCase) { ["a"] = 1, ["b"] = 2, ["c"] = 3 };
            var b1 = new Hashtable(StringComparer.OrdinalIgnoreCase) { ["a"] = 10, ["b"] = 2, ["c"] = 3 };
            var b2 = new Hashtable(StringComparer.OrdinalIgnoreCase) { ["a"] = 1, ["b"] = 2, ["d"] = 4 };
            var state = ReduceWith(Reducers.Merge(), "config", baseValue, b1, b2);
            var merged = Assert.IsType<Hashtable>(state.Get("config"));
            Assert.Equal(3, merged.Count);
            Assert.Equal(10, merged["A"]);
            Assert.Equal(2, merged["b"]);
            Assert.Equal(4, merged["d"]);
            Assert.False(merged.ContainsKey("c"));
        }

        [Fact]
        public void Reducer_Merge_without_a_base_takes_every_entry()
        {
            var state = ReduceWith(Reducers.Merge(), "config", null,
                new Dictionary<string, int> { ["a"] = 1 },
                new Dictionary<string, int> { ["b"] = 2 });
            var merged = Assert.IsType<Dictionary<string, int>>(state.Get("config"));
            Assert.Equal(new[] { "a", "b" }, merged.Keys.OrderBy(k => k));
        }

        [Fact]
        public void Reducer_Merge_of_a_branch_that_set_null_clears_the_value_unless_an_earlier_branch_won_it()
        {
            var baseValue = new Hashtable { ["a"] = 1 };
            Assert.Null(ReduceWith(Reducers.Merge(), "config", baseValue, new Hashtable { ["a"] = 2 }, null).Get("config"));

            var state = StateWith(("config", baseValue));
            var result = MergeInto(state, new MergePolicy { Strategy = MergeStrategy.FirstWriteWins }.WithReducer("config", Reducers.Merge()),
                ("b1", s => s.Set("config", new Hashtable { ["a"] = 2 })),
                ("b2", s => s.Set("config", null)));
            Assert.Equal(2, ((Hashtable)state.Get("config")!)["a"]);
            Assert.Equal("config", Assert.Single(result.Conflicts).Path);
        }

        [Fact]
        public void Reducer_Merge_of_a_non_dictionary_fails_the_merge()
        {
            var state = new AgnoState();
            state.Set("config", new Hashtable());
            var snapshot = state.Snapshot();
            var deltas = new[] { Branch(snapshot, "b1", s => s.Set("config", new List<int>())) };
            var e = Assert.Throws<ReducerFailedException>(() =>
                StateMerger.Merge("n", snapshot, deltas, new MergePolicy().WithReducer("config", Reducers.Merge())));
            Assert.Equal("config", e.Key);
            Assert.Contains("dictionaries", e.InnerException!.Message);
        }

        [Fact]
        public void Reducer_custom_delegate_gets_base_current_and_incoming_in_branch_order()
        {
            var calls = new List<string>();
            var reducer = Reducers.Custom("concat", (b, current, incoming) =>
            {
                calls.Add($"{b}|{current}|{incoming}");
                return $"{current}+{incoming}";
            });
            var state = ReduceWith(reducer, "s", "base", "x", "y");
            Assert.Equal("base+x+y", state.Get("s"));
            Assert.Equal(new[] { "base|base|x", "base|base+x|y" }, calls);
            Assert.Equal("concat", reducer.Name);
            Assert.Equal("concat", reducer.ToString());
        }

        [Fact]
        public void Reducer_receives_copies_it_may_change()
        {
            var reducer = Reducers.Custom("mutating", (b, current, incoming) =>
            {
                ((List<int>)b!).Add(100);
                ((List<int>)incoming!).Add(200);
                return incoming;
            });
            var state = new AgnoState();
            state.Set("l", new List<int> { 1 });
            var snapshot = state.Snapshot();
            var fork = AgnoState.ForkOf(snapshot);
            fork.Set("l", new List<int> { 2 });
            StateMerger.Merge("n", snapshot, new[] { new BranchDelta("b", fork.GetDelta()) }, new MergePolicy().WithReducer("l", reducer));
            Assert.Equal(new List<int> { 1 }, state.Get("l"));
            Assert.Equal(new List<int> { 2 }, fork.Get("l"));
        }

        [Fact]
        public void Reducer_with_a_removal_removes_and_a_later_branch_starts_again_from_nothing()
        {
            var calls = new List<object?>();
            var reducer = Reducers.Custom("track", (b, current, incoming) => { calls.Add(current); return incoming; });

            var removed = StateWith(("k", 1));
            var r1 = MergeInto(removed, new MergePolicy().WithReducer("k", reducer), ("b1", s => s.Remove("k")));
            Assert.False(removed.ContainsKey("k"));
            Assert.Equal(new[] { "k" }, r1.Delta.RemovedKeys);

            var again = StateWith(("k", 1));
            MergeInto(again, new MergePolicy().WithReducer("k", reducer), ("b1", s => s.Remove("k")), ("b2", s => s.Set("k", 5)));
            Assert.Equal(5, again.Get("k"));
            Assert.Null(calls.Last()); // current was nothing after the removal
        }

        [Fact]
        public void Reducer_keys_are_never_conflicts_even_under_Fail()
        {
            var state = StateWith(("n", 10));
            var policy = new MergePolicy { Strategy = MergeStrategy.Fail }.WithReducer("N", Reducers.Sum());
            var result = MergeInto(state, policy, ("b1", s => s.Set("n", 11)), ("b2", s => s.Set("n", 15)));
            Assert.Empty(result.Conflicts);
            Assert.Equal(16, state.Get("n"));
        }

        [Fact]
        public void Reducer_that_throws_fails_the_whole_merge_naming_the_key_and_nothing_is_merged()
        {
            var state = StateWith(("a", 0), ("bad", 0));
            var snapshot = state.Snapshot();
            var deltas = new[]
            {
                Branch(snapshot, "b1", s => { s.Set("a", 1); s.Set("bad", 1); }),
                Branch(snapshot, "b2", s => s.Set("bad", 2)),
            };
            var policy = new MergePolicy().WithReducer("bad", Reducers.Custom("explode", (b, c, i) => throw new FormatException("no way")));

            var e = Assert.Throws<ReducerFailedException>(() => StateMerger.Merge("n", snapshot, deltas, policy));

            Assert.Equal("bad", e.Key);
            Assert.Equal("explode", e.Reducer);
            Assert.Equal("b1", e.Branch);
            Assert.Equal("AgnoReducerFailed", e.ErrorId);
            Assert.IsType<FormatException>(e.InnerException);
            Assert.Contains("'bad'", e.Message);
            Assert.Contains("Nothing was merged", e.Message);
            Assert.Equal(0, state.Get("a"));
        }

        [Fact]
        public void Reducer_that_returns_an_uncopiable_value_fails_naming_the_key()
        {
            var state = StateWith(("k", 0));
            var snapshot = state.Snapshot();
            var deltas = new[] { Branch(snapshot, "b1", s => s.Set("k", 1)) };
            var policy = new MergePolicy().WithReducer("k", Reducers.Custom("cycle", (b, c, i) =>
            {
                var l = new List<object>();
                l.Add(l);
                return l;
            }));
            var e = Assert.Throws<ReducerFailedException>(() => StateMerger.Merge("n", snapshot, deltas, policy));
            var refused = Assert.IsType<ValueRefusedException>(e.InnerException);
            Assert.Equal("k", refused.Key);
        }

        [Fact]
        public void Reducer_that_is_cancelled_is_not_wrapped()
        {
            var state = StateWith(("k", 0));
            var snapshot = state.Snapshot();
            var deltas = new[] { Branch(snapshot, "b1", s => s.Set("k", 1)) };
            var policy = new MergePolicy().WithReducer("k", Reducers.Custom("stop", (b, c, i) => throw new OperationCanceledException()));
            Assert.Throws<OperationCanceledException>(() => StateMerger.Merge("n", snapshot, deltas, policy));
        }

        [Theory]
        [InlineData("Append", "Append")]
        [InlineData("sum", "Sum")]
        [InlineData("MAX", "Max")]
        [InlineData("min", "Min")]
        [InlineData("Union", "Union")]
        [InlineData("merge", "Merge")]
        public void Reducers_FromName_finds_each_built_in_case_insensitively(string name, string expected)
        {
            Assert.Equal(expected, Reducers.FromName(name).Name);
            Assert.Contains(expected, Reducers.BuiltInNames);
        }

        [Fact]
        public void Reducers_FromName_of_an_unknown_name_lists_the_built_ins()
        {
            var e = Assert.Throws<ArgumentException>(() => Reducers.FromName("Average"));
            Assert.Contains("'Average'", e.Message);
            Assert.Contains("Append, Sum, Max, Min, Union, Merge", e.Message);
            Assert.Throws<ArgumentException>(() => Reducers.FromName(null!));
        }

        [Fact]
        public void Reducers_FromName_uses_the_given_copier_for_equality()
        {
            var everythingEqual = new EverythingEqualCopier();
            var union = Reducers.FromName("union", everythingEqual);
            var merged = (object?[])union.Reduce(null, new object[] { 1 }, new object[] { 2, 3 }, Context())!;
            Assert.Equal(new object[] { 1 }, merged);
        }

        [Fact]
        public void Reducers_Custom_without_a_name_is_called_Custom_and_needs_a_delegate()
        {
            Assert.Equal("Custom", Reducers.Custom(" ", (b, c, i) => i).Name);
            Assert.Throws<ArgumentNullException>(() => Reducers.Custom("x", null!));
        }

        [Fact]
        public void MergePolicy_refuses_a_null_reducer_or_an_empty_key_and_finds_reducers_case_insensitively()
        {
            var policy = new MergePolicy();
            Assert.Throws<ArgumentNullException>(() => policy.WithReducer("k", null!));
            Assert.Throws<ArgumentException>(() => policy.WithReducer(" ", Reducers.Sum()));
            policy.WithReducer("Total", Reducers.Sum());
            Assert.True(policy.Reducers.ContainsKey("TOTAL"));
            Assert.Equal(MergeStrategy.LastWriteWins, policy.Strategy);
        }

        // ---- Append and Union: both ways of writing a list (issue 9, item 1) ----

        [Fact]
        public void Append_adds_each_branch_whole_list_when_it_wrote_only_its_own_items()
        {
            var state = ReduceWith(Reducers.Append(), "log", new object[] { "yesterday" }, new object[] { "orders" }, new object[] { "invoices" });
            Assert.Equal(new object[] { "yesterday", "orders", "invoices" }, state.Get("log"));
        }

        [Fact]
        public void Append_takes_a_read_append_write_branch_and_an_own_items_branch_together()
        {
            var state = ReduceWith(Reducers.Append(), "log", new object[] { "start" }, new object[] { "start", "a" }, new object[] { "b" });
            Assert.Equal(new object[] { "start", "a", "b" }, state.Get("log"));
        }

        [Fact]
        public void Append_keeps_base_collection_type_when_the_items_fit_it()
        {
            // PowerShell's += on an [int[]] gives an object[]: the key stays an [int[]].
            var ints = ReduceWith(Reducers.Append(), "n", new[] { 1, 2 }, new object[] { 1, 2, 3 }, new object[] { 4 });
            Assert.Equal(new[] { 1, 2, 3, 4 }, Assert.IsType<int[]>(ints.Get("n")));

            var list = ReduceWith(Reducers.Append(), "l", new List<string> { "a" }, new object[] { "a", "b" }, new object[] { "c" });
            Assert.Equal(new List<string> { "a", "b", "c" }, Assert.IsType<List<string>>(list.Get("l")));

            var arrayList = ReduceWith(Reducers.Append(), "l", new ArrayList { "a" }, new ArrayList { "a", 1 }, new object[] { 2 });
            Assert.Equal(new ArrayList { "a", 1, 2 }, Assert.IsType<ArrayList>(arrayList.Get("l")));
        }

        [Fact]
        public void Append_counts_a_single_value_base_as_one_item_and_takes_the_first_branch_list_type()
        {
            // What a step gets when it reads a one-item list enumerated, appends and writes back.
            var state = ReduceWith(Reducers.Append(), "l", "a", new List<string> { "a", "b" }, new[] { "c" });
            Assert.Equal(new List<string> { "a", "b", "c" }, Assert.IsType<List<string>>(state.Get("l")));

            var mixed = ReduceWith(Reducers.Append(), "l", "a", new List<int> { 1 }, new[] { 2 });
            Assert.Equal(new object[] { "a", 1, 2 }, Assert.IsType<object[]>(mixed.Get("l"))); // a string does not fit a List<int>
        }

        [Fact]
        public void Append_never_removes_a_branch_whose_list_does_not_start_with_base_is_appended_whole()
        {
            var state = ReduceWith(Reducers.Append(), "log", new[] { "a", "b", "c" }, new[] { "a", "b" }, new[] { "a", "b", "c", "d" });
            Assert.Equal(new[] { "a", "b", "c", "a", "b", "d" }, state.Get("log"));
        }

        [Fact]
        public void Union_keeps_base_items_and_adds_each_branch_new_items_once_for_both_ways_of_writing()
        {
            var state = ReduceWith(Reducers.Union(), "tags", new object[] { "yesterday" },
                new object[] { "orders" }, new object[] { "yesterday", "invoices", "orders", "invoices" });
            Assert.Equal(new object[] { "yesterday", "orders", "invoices" }, state.Get("tags"));

            var duplicates = ReduceWith(Reducers.Union(), "tags", new[] { "a", "a" }, new[] { "a", "b" }, new[] { "c" });
            Assert.Equal(new[] { "a", "a", "b", "c" }, duplicates.Get("tags")); // base's items are kept as they were
        }

        [Fact]
        public void Union_that_adds_nothing_commits_nothing()
        {
            var committer = new CountingCommitter();
            var state = StateWith(("tags", new[] { "a", "b" }));
            state.Bind(committer, new StoredChanges(0, Array.Empty<StateChange>(), isWhole: false));
            MergeInto(state, new MergePolicy().WithReducer("tags", Reducers.Union()),
                ("b1", s => s.Set("tags", new[] { "b" })), ("b2", s => s.Set("tags", new object[] { "a" })));
            Assert.Equal(0, committer.Commits);
            Assert.Equal(new[] { "a", "b" }, state.Get("tags"));
        }

        [Theory]
        [InlineData("Append")]
        [InlineData("Union")]
        public void List_reducer_given_a_dictionary_fails_the_merge_naming_key_reducer_and_branch(string name)
        {
            var state = StateWith(("log", new[] { "a" }), ("other", 0));
            var snapshot = state.Snapshot();
            var deltas = new[]
            {
                Branch(snapshot, "b1", s => { s.Set("log", new[] { "a", "b" }); s.Set("other", 1); }),
                Branch(snapshot, "b2", s => s.Set("log", new Hashtable { ["a"] = 1 })),
            };
            var e = Assert.Throws<ReducerFailedException>(() =>
                StateMerger.Merge("n", snapshot, deltas, new MergePolicy().WithReducer("log", Reducers.FromName(name))));
            Assert.Equal(("log", name, "b2"), (e.Key, e.Reducer, e.Branch));
            Assert.Equal($"The reducer '{name}' for key 'log' failed on branch 'b2': {name} combines lists, but this branch's value is a dictionary ([Hashtable]); use the Merge reducer for dictionaries. Nothing was merged.", e.Message);
        }

        [Fact]
        public void Append_of_a_two_dimensional_array_cannot_combine()
        {
            var e = Assert.Throws<ReducerFailedException>(() => ReduceWith(Reducers.Append(), "grid", null, new int[1, 1]));
            Assert.Contains("2-dimensional array", e.Message);
        }

        // ---- Sum, Max, Min: PowerShell's widening (issue 9, item 2) ----

        [Fact]
        public void Sum_of_base_10_and_branches_12_5_and_11_is_13_5_double_in_either_branch_order()
        {
            Assert.Equal(13.5, Assert.IsType<double>(ReduceWith(Reducers.Sum(), "total", 10, 12.5, 11).Get("total")));
            Assert.Equal(13.5, Assert.IsType<double>(ReduceWith(Reducers.Sum(), "total", 10, 11, 12.5).Get("total")));
        }

        [Fact]
        public void Max_of_12_and_12_point_0_is_12_point_0_double_in_either_branch_order()
        {
            Assert.Equal(12.0, Assert.IsType<double>(ReduceWith(Reducers.Max(), "peak", 10, 12, 12.0).Get("peak")));
            Assert.Equal(12.0, Assert.IsType<double>(ReduceWith(Reducers.Max(), "peak", 10, 12.0, 12).Get("peak")));
        }

        [Fact]
        public void Sum_Max_and_Min_of_a_string_fail_the_merge_naming_key_reducer_and_branch()
        {
            foreach (var name in new[] { "Sum", "Max", "Min" })
            {
                var e = Assert.Throws<ReducerFailedException>(() => ReduceWith(Reducers.FromName(name), "n", 1, 2, "three"));
                Assert.Equal(("n", name, "b2"), (e.Key, e.Reducer, e.Branch));
                Assert.Contains("this branch's value ([String] 'three') is not a number", e.Message);
            }
        }

        // ---- Merge: recursive, three-way, conflicts by path (issue 9, item 3) ----

        private static Hashtable Table(params (string Key, object? Value)[] entries)
        {
            var table = new Hashtable(StringComparer.OrdinalIgnoreCase);
            foreach (var (k, v) in entries) table[k] = v;
            return table;
        }

        private static Hashtable Config(string host, int port) => Table(("Smtp", Table(("Host", host), ("Port", port))), ("Retries", 1));

        private static MergeResult MergeConfig(MergeStrategy strategy, out AgnoState state, params (string Name, Action<AgnoState> Change)[] branches)
        {
            state = StateWith(("Config", Config("mail", 25)));
            return MergeInto(state, new MergePolicy { Strategy = strategy }.WithReducer("Config", Reducers.Merge()), branches);
        }

        private static Hashtable Smtp(AgnoState state) => (Hashtable)((Hashtable)state.Get("Config")!)["Smtp"]!;

        [Fact]
        public void Merge_keeps_two_branches_changes_to_different_nested_entries()
        {
            var result = MergeConfig(MergeStrategy.Fail, out var state,
                ("host", s => s.Set("Config", Config("relay", 25))),
                ("port", s => s.Set("Config", Config("mail", 587))));
            Assert.Empty(result.Conflicts);
            Assert.Equal("relay", Smtp(state)["Host"]);
            Assert.Equal(587, Smtp(state)["Port"]);
        }

        [Theory]
        [InlineData(MergeStrategy.LastWriteWins, "second", "b")]
        [InlineData(MergeStrategy.FirstWriteWins, "first", "a")]
        public void Merge_records_a_conflict_on_the_path_of_a_nested_entry_two_branches_changed_differently(MergeStrategy strategy, string winner, string host)
        {
            var result = MergeConfig(strategy, out var state,
                ("first", s => s.Set("Config", Config("a", 25))),
                ("second", s => s.Set("Config", Config("b", 587))));
            var conflict = Assert.Single(result.Conflicts);
            Assert.Equal(("Config", "Config.Smtp.Host", winner), (conflict.Key, conflict.Path, conflict.Winner));
            Assert.Equal(new[] { "first", "second" }, conflict.Branches);
            Assert.Equal($"'Config.Smtp.Host' changed by 'first', 'second' ('{winner}' won)", conflict.ToString());
            Assert.Equal(host, Smtp(state)["Host"]);
            Assert.Equal(587, Smtp(state)["Port"]); // not in conflict: the one branch that changed it wins
        }

        [Fact]
        public void Merge_under_Fail_fails_naming_the_path_and_merges_nothing()
        {
            var state = StateWith(("Config", Config("mail", 25)), ("other", 0));
            var snapshot = state.Snapshot();
            var deltas = new[]
            {
                Branch(snapshot, "first", s => { s.Set("Config", Config("a", 25)); s.Set("other", 1); }),
                Branch(snapshot, "second", s => s.Set("Config", Config("b", 25))),
            };
            var e = Assert.Throws<MergeConflictException>(() =>
                StateMerger.Merge("fan", snapshot, deltas, new MergePolicy { Strategy = MergeStrategy.Fail }.WithReducer("Config", Reducers.Merge())));
            Assert.Equal("Config.Smtp.Host", Assert.Single(e.Conflicts).Path);
            Assert.Contains("'Config.Smtp.Host' changed by 'first', 'second'", e.Message);
        }

        [Fact]
        public void Merge_two_branches_making_the_same_nested_change_is_not_a_conflict()
        {
            var result = MergeConfig(MergeStrategy.Fail, out var state,
                ("a", s => s.Set("Config", Config("relay", 25))),
                ("b", s => s.Set("Config", Config("relay", 25))));
            Assert.Empty(result.Conflicts);
            Assert.Equal("relay", Smtp(state)["Host"]);
        }

        [Fact]
        public void Merge_applies_nested_removals_and_additions_from_different_branches()
        {
            var result = MergeConfig(MergeStrategy.Fail, out var state,
                ("drop", s => { var c = (Hashtable)s.Get("Config")!; ((Hashtable)c["Smtp"]!).Remove("Port"); s.Set("Config", c); }),
                ("add", s => { var c = (Hashtable)s.Get("Config")!; ((Hashtable)c["Smtp"]!)["Tls"] = true; c["Proxy"] = Table(("Url", "p")); s.Set("Config", c); }));
            Assert.Empty(result.Conflicts);
            Assert.Equal(new[] { "Host", "Tls" }, Smtp(state).Keys.Cast<string>().OrderBy(k => k));
            Assert.Equal("p", ((Hashtable)((Hashtable)state.Get("Config")!)["Proxy"]!)["Url"]);
        }

        [Theory]
        [InlineData(MergeStrategy.LastWriteWins, true)]
        [InlineData(MergeStrategy.FirstWriteWins, false)]
        public void Merge_a_branch_removing_a_dictionary_another_changed_inside_is_a_conflict_on_the_dictionary(MergeStrategy strategy, bool removed)
        {
            var result = MergeConfig(strategy, out var state,
                ("port", s => s.Set("Config", Config("mail", 587))),
                ("drop", s => s.Set("Config", Table(("Retries", 1)))));
            var conflict = Assert.Single(result.Conflicts);
            Assert.Equal("Config.Smtp", conflict.Path);
            Assert.Equal(new[] { "port", "drop" }, conflict.Branches);
            Assert.Equal(removed, !((Hashtable)state.Get("Config")!).ContainsKey("Smtp"));
        }

        [Fact]
        public void Merge_recreates_a_removed_dictionary_from_a_later_branch_under_LastWriteWins()
        {
            var result = MergeConfig(MergeStrategy.LastWriteWins, out var state,
                ("drop", s => s.Set("Config", Table(("Retries", 1)))),
                ("port", s => s.Set("Config", Config("mail", 587))));
            Assert.Equal("Config.Smtp", Assert.Single(result.Conflicts).Path);
            Assert.Equal(587, Smtp(state)["Port"]);
            Assert.Equal("mail", Smtp(state)["Host"]);
        }

        [Theory]
        [InlineData(MergeStrategy.LastWriteWins, false)]
        [InlineData(MergeStrategy.FirstWriteWins, true)]
        public void Merge_removing_the_key_against_a_nested_change_is_a_conflict_on_the_key(MergeStrategy strategy, bool removed)
        {
            var result = MergeConfig(strategy, out var state,
                ("remove", s => s.Remove("Config")),
                ("port", s => s.Set("Config", Config("mail", 587))));
            var conflict = Assert.Single(result.Conflicts);
            Assert.Equal(("Config", "Config"), (conflict.Key, conflict.Path));
            Assert.Equal(removed, !state.ContainsKey("Config"));
            if (!removed) Assert.Equal(587, Smtp(state)["Port"]);
        }

        [Fact]
        public void Merge_keeps_the_type_and_key_comparer_of_nested_dictionaries()
        {
            var ordered = new System.Collections.Specialized.OrderedDictionary(StringComparer.OrdinalIgnoreCase) { ["b"] = 1, ["a"] = 2 };
            var typed = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase) { ["x"] = 1 };
            var state = StateWith(("cfg", Table(("ordered", ordered), ("typed", typed))));
            MergeInto(state, new MergePolicy().WithReducer("cfg", Reducers.Merge()),
                ("b1", s => { var c = (Hashtable)s.Get("cfg")!; ((System.Collections.Specialized.OrderedDictionary)c["ordered"]!)["c"] = 3; s.Set("cfg", c); }),
                ("b2", s => { var c = (Hashtable)s.Get("cfg")!; ((Dictionary<string, int>)c["typed"]!)["y"] = 2; s.Set("cfg", c); }));
            var merged = (Hashtable)state.Get("cfg")!;
            var o = Assert.IsType<System.Collections.Specialized.OrderedDictionary>(merged["ordered"]);
            Assert.Equal(new[] { "b", "a", "c" }, o.Keys.Cast<string>());
            Assert.True(o.Contains("C"));
            var t = Assert.IsType<Dictionary<string, int>>(merged["typed"]);
            Assert.Equal(2, t["Y"]);
        }

        [Fact]
        public void Merge_replaces_a_nested_list_whole_as_one_entry()
        {
            var state = StateWith(("cfg", Table(("servers", new[] { "a" }))));
            var result = MergeInto(state, new MergePolicy().WithReducer("cfg", Reducers.Merge()),
                ("b1", s => s.Set("cfg", Table(("servers", new[] { "a", "b" })))),
                ("b2", s => s.Set("cfg", Table(("servers", new[] { "a", "c" })))));
            Assert.Equal("cfg.servers", Assert.Single(result.Conflicts).Path);
            Assert.Equal(new[] { "a", "c" }, ((Hashtable)state.Get("cfg")!)["servers"]);
        }

        [Fact]
        public void Merge_names_paths_as_PowerShell_would_write_them()
        {
            var state = StateWith(("cfg", new Hashtable { ["a.b"] = 1, [443] = new Hashtable { ["on"] = false } }));
            var result = MergeInto(state, new MergePolicy().WithReducer("cfg", Reducers.Merge()),
                ("b1", s => s.Set("cfg", new Hashtable { ["a.b"] = 2, [443] = new Hashtable { ["on"] = true } })),
                ("b2", s => s.Set("cfg", new Hashtable { ["a.b"] = 3, [443] = new Hashtable { ["on"] = null } })));
            Assert.Equal(new[] { "cfg['a.b']", "cfg[443].on" }, result.Conflicts.Select(c => c.Path));
        }

        // ---- reducers and removals of the key ----

        [Theory]
        [InlineData(MergeStrategy.LastWriteWins, 1)]
        [InlineData(MergeStrategy.FirstWriteWins, null)]
        public void Reducer_key_removed_by_one_branch_and_set_by_a_later_one_is_a_conflict_settled_by_the_strategy(MergeStrategy strategy, int? expected)
        {
            var state = StateWith(("n", 10));
            var result = MergeInto(state, new MergePolicy { Strategy = strategy }.WithReducer("n", Reducers.Sum()),
                ("remove", s => s.Remove("n")), ("add", s => s.Set("n", 11)));
            Assert.Equal(("n", "n"), (Assert.Single(result.Conflicts).Key, result.Conflicts[0].Path));
            Assert.Equal(expected, state.TryGet("n", out var v) ? (int?)v : null); // LastWriteWins: the later value combined with nothing
        }

        [Fact]
        public void Reducer_key_set_by_a_branch_and_removed_by_a_later_one_keeps_the_value_under_FirstWriteWins()
        {
            var state = StateWith(("n", 10));
            var result = MergeInto(state, new MergePolicy { Strategy = MergeStrategy.FirstWriteWins }.WithReducer("n", Reducers.Sum()),
                ("add", s => s.Set("n", 11)), ("more", s => s.Set("n", 12)), ("remove", s => s.Remove("n")));
            Assert.Equal(13, state.Get("n"));
            Assert.Equal(new[] { "add", "more", "remove" }, Assert.Single(result.Conflicts).Branches);
        }

        // ---- the reducer interface ----

        private sealed class EntryReportingReducer : IStateReducer
        {
            public string Name => "entries";
            public CancellationToken Token;

            public object? Reduce(object? baseValue, object? current, object? incoming, ReducerContext context)
            {
                Token = context.CancellationToken;
                context.EntryChanged(new object[] { "slot" }, incoming);
                return incoming;
            }
        }

        [Fact]
        public void A_reducer_gets_the_merge_cancellation_token_and_can_report_entries_that_conflict()
        {
            using var cts = new CancellationTokenSource();
            var reducer = new EntryReportingReducer();
            var state = StateWith(("k", 0));
            var snapshot = state.Snapshot();
            var deltas = new[] { Branch(snapshot, "b1", s => s.Set("k", 1)), Branch(snapshot, "b2", s => s.Set("k", 2)) };

            var result = StateMerger.Merge("n", snapshot, deltas, new MergePolicy().WithReducer("k", reducer), cts.Token);

            Assert.Equal(cts.Token, reducer.Token);
            var conflict = Assert.Single(result.Conflicts);
            Assert.Equal(("k.slot", "b2"), (conflict.Path, conflict.Winner));
        }

        [Fact]
        public void A_reducer_context_refuses_a_null_path_or_key_in_a_path()
        {
            var context = Context();
            Assert.Throws<ArgumentNullException>(() => context.EntryRemoved(null!));
            Assert.Throws<ArgumentException>(() => context.EntryChanged(new object[] { "a", null! }, 1));
        }

        // ---- a set to the value a key has is not a change (issue 9, item 9) ----

        [Fact]
        public void A_fork_setting_the_value_a_key_has_by_content_has_no_change_in_its_delta()
        {
            var state = StateWith(("n", 1), ("cfg", Table(("a", Table(("b", new List<int> { 1 }))))));
            var fork = state.Fork();
            fork.Set("n", 1);
            fork.Set("CFG", Table(("a", Table(("b", new List<int> { 1 })))));
            Assert.True(fork.GetDelta().IsEmpty);

            fork.Set("n", 2);
            fork.Set("n", 1); // back to the value at the fork
            fork.Set("tmp", 1);
            fork.Remove("tmp");
            Assert.True(fork.GetDelta().IsEmpty);

            fork.Set("n", 1L); // another type is another value
            Assert.Equal(new[] { "n" }, fork.GetDelta().SetKeys);
        }

        [Fact]
        public async Task A_step_that_sets_the_value_a_key_has_lists_no_key_changed()
        {
            var session = AgnoSession.Create();
            session.State.Set("cfg", Table(("a", 1)));
            var parallel = new ParallelNode("p")
                .AddNode(new Step("same", s => s.State.Set("cfg", Table(("a", 1)))))
                .AddNode(new Step("other", s => s.State.Set("x", 1)));
            var run = await parallel.ExecuteAsync(session).Guarded();
            Assert.Empty(run.Root.Children.Single(c => c.Name == "same").KeysChanged);
            Assert.Equal(new[] { "x" }, run.Root.KeysChanged);
        }

        private sealed class CountingCommitter : IStateCommitter
        {
            public int Commits;

            public StoredChanges? Pull(long sinceVersion) => null;

            public StateCommit Commit(StateSnapshot baseState, StateDelta delta, long knownVersion, Checkpoint? checkpoint)
            {
                Commits++;
                return new StateCommit(new StoredChanges(knownVersion + 1, delta.Changes, isWhole: false), Array.Empty<StoreConflict>());
            }
        }

        [Fact]
        public void A_bound_state_commits_nothing_for_a_set_or_apply_of_the_values_keys_have()
        {
            var committer = new CountingCommitter();
            var state = new AgnoState();
            state.Bind(committer, new StoredChanges(0, Array.Empty<StateChange>(), isWhole: false));
            state.Set("cfg", Table(("a", 1)));
            Assert.Equal(1, committer.Commits);

            state.Set("cfg", Table(("a", 1)));
            var fork = state.Fork();
            fork.Set("cfg", Table(("a", 2)));
            var same = StateWith(("cfg", Table(("a", 1))));
            state.Apply(same.ToDelta());
            Assert.Equal(1, committer.Commits);

            state.Apply(fork.GetDelta());
            Assert.Equal(2, committer.Commits);
        }

        [Fact]
        public void A_stored_session_version_does_not_move_for_a_set_of_the_value_a_key_has()
        {
            using var store = new InMemorySessionStore();
            var session = store.OpenSession("s");
            session.State.Set("cfg", Table(("a", Table(("b", 1)))));
            var version = store.ListSessions().Single().Version;

            session.State.Set("cfg", Table(("a", Table(("b", 1)))));

            Assert.Equal(version, store.ListSessions().Single().Version);
        }

        // ---- through ParallelNode ----

        private static ParallelNode OrderedParallel(CompletionOrder order, string[] names, Action<AgnoSession, string> body, MergePolicy? policy = null)
        {
            var parallel = new ParallelNode("fan");
            if (policy != null) parallel.MergePolicy = policy;
            foreach (var name in names)
            {
                parallel.AddNode(new Step(name, async (s, ct) =>
                {
                    await order.TurnOf(name).ConfigureAwait(false);
                    body(s, name);
                }));
            }
            return parallel;
        }

        [Theory]
        [InlineData(MergeStrategy.LastWriteWins, "c")]
        [InlineData(MergeStrategy.FirstWriteWins, "a")]
        public async Task Parallel_merges_in_branch_order_even_when_branches_finish_in_reverse_order(MergeStrategy strategy, string winner)
        {
            var names = new[] { "a", "b", "c" };
            var order = new CompletionOrder(names.Reverse());
            var parallel = OrderedParallel(order, names, (s, name) =>
            {
                s.State.Set("k", name);
                s.State.Set("k_" + name, true);
                s.Output = name;
            }, Policy(strategy));
            var session = AgnoSession.Create();

            var run = await parallel.ExecuteAsync(session, options: new RunOptions { Observer = order }).Guarded();

            Assert.Equal(new[] { "c", "b", "a" }, order.Completed);
            Assert.Equal(winner, session.State.Get("k"));
            Assert.Equal(new object[] { "a", "b", "c" }, Assert.IsType<object?[]>(session.Output));
            var conflict = Assert.Single(run.Conflicts);
            Assert.Equal(names, conflict.Branches);
            Assert.Equal(winner, conflict.Winner);
            Assert.All(names, n => Assert.Equal(true, session.State.Get("k_" + n)));
        }

        [Fact]
        public async Task Parallel_reducers_apply_in_branch_order_whatever_the_completion_order()
        {
            var names = new[] { "a", "b", "c" };
            var order = new CompletionOrder(new[] { "b", "c", "a" });
            var policy = new MergePolicy().WithReducer("log", Reducers.Append());
            var parallel = OrderedParallel(order, names, (s, name) =>
            {
                var log = (string[])s.State.Get("log")!;
                s.State.Set("log", log.Append(name).ToArray());
            }, policy);
            var session = AgnoSession.Create();
            session.State.Set("log", new[] { "start" });

            await parallel.ExecuteAsync(session, options: new RunOptions { Observer = order }).Guarded();

            Assert.Equal(new[] { "b", "c", "a" }, order.Completed);
            Assert.Equal(new[] { "start", "a", "b", "c" }, session.State.Get("log"));
        }

        [Fact]
        public async Task Parallel_untouched_keys_are_never_written_back()
        {
            var session = AgnoSession.Create();
            session.State.Set("x", 0);
            session.State.Set("y", 0);
            var parallel = new ParallelNode("p")
                .AddNode(new Step("b1", s => s.State.Set("x", 1)))
                .AddNode(new Step("b2", s => { _ = s.State.Get("x"); s.State.Set("y", 1); }));

            var run = await parallel.ExecuteAsync(session).Guarded();

            Assert.Equal(1, session.State.Get("x"));
            Assert.Equal(1, session.State.Get("y"));
            Assert.Empty(run.Conflicts);
            Assert.Equal(new[] { "x", "y" }, run.Root.KeysChanged.OrderBy(k => k));
        }

        [Fact]
        public async Task Parallel_removals_merge()
        {
            var session = AgnoSession.Create();
            session.State.Set("gone", 1);
            session.State.Set("stay", 1);
            var parallel = new ParallelNode("p")
                .AddNode(new Step("b1", s => s.State.Remove("gone")))
                .AddNode(new Step("b2", s => s.State.Set("new", 2)));

            await parallel.ExecuteAsync(session).Guarded();

            Assert.Equal(new[] { "new", "stay" }, session.State.Keys);
        }

        [Theory]
        [InlineData(MergeStrategy.LastWriteWins)]
        [InlineData(MergeStrategy.FirstWriteWins)]
        public async Task Parallel_records_conflicts_on_the_run_record(MergeStrategy strategy)
        {
            var session = AgnoSession.Create();
            var parallel = new ParallelNode("p") { MergePolicy = Policy(strategy) }
                .AddNode(SetStep("b1", "k", 1))
                .AddNode(SetStep("b2", "k", 2));

            var run = await parallel.ExecuteAsync(session).Guarded();

            var conflict = Assert.Single(run.Conflicts);
            Assert.Equal(strategy, conflict.Strategy);
            Assert.Same(conflict, Assert.Single(run.Root.Conflicts));
            Assert.Same(conflict, Assert.Single(session.History).Conflicts.Single());
        }

        [Fact]
        public async Task Parallel_fail_strategy_merges_nothing_and_names_keys_and_branches()
        {
            var session = AgnoSession.Create();
            session.State.Set("k", 0);
            var parallel = new ParallelNode("p") { MergePolicy = Policy(MergeStrategy.Fail) }
                .AddNode(new Step("b1", s => { s.State.Set("k", 1); s.State.Set("only1", 1); }))
                .AddNode(SetStep("b2", "k", 2));

            var e = await Assert.ThrowsAsync<MergeConflictException>(() => parallel.ExecuteAsync(session)).Guarded();

            Assert.Equal(new[] { "b1", "b2" }, Assert.Single(e.Conflicts).Branches);
            Assert.Equal(0, session.State.Get("k"));
            Assert.False(session.State.ContainsKey("only1"));
            Assert.NotNull(e.Run);
            Assert.Equal(NodeStatus.Failed, e.Run!.Status);
            Assert.Same(e.Run, Assert.Single(session.History));
        }

        [Fact]
        public async Task Parallel_fail_strategy_still_records_the_conflicts_on_the_run_record()
        {
            var session = AgnoSession.Create();
            var parallel = new ParallelNode("p") { MergePolicy = Policy(MergeStrategy.Fail) }
                .AddNode(SetStep("b1", "k", 1))
                .AddNode(SetStep("b2", "k", 2));

            var e = await Assert.ThrowsAsync<MergeConflictException>(() => parallel.ExecuteAsync(session)).Guarded();

            var conflict = Assert.Single(e.Run!.Conflicts);
            Assert.Equal("k", conflict.Key);
            Assert.Equal(MergeStrategy.Fail, conflict.Strategy);
        }

        [Fact]
        public async Task Parallel_branch_rewriting_a_two_dimensional_array_merges()
        {
            var session = AgnoSession.Create();
            session.State.Set("grid", new int[2, 2]);
            var parallel = new ParallelNode("p").AddNode(new Step("b1", s => s.State.Set("grid", new int[,] { { 1, 2 }, { 3, 4 } })));

            await parallel.ExecuteAsync(session).Guarded();

            Assert.Equal(4, ((int[,])session.State.Get("grid")!)[1, 1]);
        }

        [Fact]
        public async Task Parallel_reducer_that_throws_fails_the_node_and_nothing_is_merged()
        {
            var session = AgnoSession.Create();
            session.State.Set("n", 1);
            var policy = new MergePolicy().WithReducer("n", Reducers.Custom("bad", (b, c, i) => throw new InvalidOperationException("nope")));
            var parallel = new ParallelNode("p") { MergePolicy = policy }
                .AddNode(new Step("b1", s => { s.State.Set("n", 2); s.State.Set("other", 1); }))
                .AddNode(SetStep("b2", "n", 3));

            var e = await Assert.ThrowsAsync<ReducerFailedException>(() => parallel.ExecuteAsync(session)).Guarded();

            Assert.Equal("n", e.Key);
            Assert.Equal(1, session.State.Get("n"));
            Assert.False(session.State.ContainsKey("other"));
        }

        [Fact]
        public async Task Parallel_Sum_reducer_gives_16_for_base_10_and_branches_11_and_15()
        {
            var session = AgnoSession.Create();
            session.State.Set("counter", 10);
            var parallel = new ParallelNode("p") { MergePolicy = new MergePolicy().WithReducer("counter", Reducers.FromName("Sum")) }
                .AddNode(SetStep("b1", "counter", 11))
                .AddNode(SetStep("b2", "counter", 15));

            var run = await parallel.ExecuteAsync(session).Guarded();

            Assert.Equal(16, Assert.IsType<int>(session.State.Get("counter")));
            Assert.Empty(run.Conflicts);
        }

        private sealed class EverythingEqualCopier : IValueCopier
        {
            public object? Copy(object? value) => DefaultValueCopier.Instance.Copy(value);
            public bool IsImmutable(object? value) => true;
            public bool AreEqual(object? left, object? right) => true;
        }
    }
}
