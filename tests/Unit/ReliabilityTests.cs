using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Threading.Tasks;
using Agno.Core;
using CsCheck;
using Xunit;

namespace Agno.Tests
{
    /// <summary>
    /// The engine's lines of docs/reliability.md: hostile values (10,000-deep nesting, values that
    /// contain themselves, non-string keys), reducers that throw, merges that fail, a store that
    /// cannot be written, and property-based round trips of the copier and of the store's codec.
    /// Each fault test checks the error (type, id, what it names) and that the state afterwards is
    /// the state before the failed operation, and that the next operation works.
    /// </summary>
    public class ReliabilityTests
    {
        private const int Deep = 10_000;

        // ---------------------------------------------------------------- bad input: nesting

        public static IEnumerable<object[]> DeepValues() => new[]
        {
            new object[] { "Hashtable", (Func<object>)(() => Nest(Deep, inner => new Hashtable { ["n"] = inner })) },
            new object[] { "OrderedDictionary", (Func<object>)(() => Nest(Deep, inner => new OrderedDictionary { ["n"] = inner })) },
            new object[] { "Dictionary", (Func<object>)(() => Nest(Deep, inner => new Dictionary<string, object?> { ["n"] = inner })) },
            new object[] { "List", (Func<object>)(() => Nest(Deep, inner => new List<object?> { inner })) },
            new object[] { "object[]", (Func<object>)(() => Nest(Deep, inner => new object?[] { inner })) },
            new object[] { "mixed", (Func<object>)(() => Nest(Deep, inner => inner is IList ? new Hashtable { ["n"] = inner } : (object)new object?[] { inner })) },
        };

        /// <summary>A value nested <paramref name="levels"/> containers deep, built without recursion.</summary>
        private static object Nest(int levels, Func<object?, object> wrap)
        {
            object value = wrap(1);
            for (int i = 1; i < levels; i++) value = wrap(value);
            return value;
        }

        [Theory]
        [MemberData(nameof(DeepValues))]
        public void A_value_nested_10000_levels_deep_is_refused_naming_the_key_without_overflowing_the_stack(string kind, Func<object> make)
        {
            var state = new AgnoState();
            state.Set("deep", "before");
            var deep = make();

            var refused = Assert.Throws<ValueRefusedException>(() => state.Set("deep", deep));

            Assert.Equal("deep", refused.Key);
            Assert.Equal("AgnoStateValueRefused", refused.ErrorId);
            Assert.Contains("'deep'", refused.Message);
            Assert.Contains($"more than {DefaultValueCopier.MaxDepth} levels", refused.Message);
            Assert.Equal("before", state.Get("deep"));               // the previous value is kept
            state.Set("next", kind);                                  // and the state is still usable
            Assert.Equal(kind, state.Get("next"));
        }

        [Theory]
        [MemberData(nameof(DeepValues))]
        public void A_10000_deep_value_is_refused_by_a_new_state_a_fork_and_the_store_codec_without_overflowing(string kind, Func<object> make)
        {
            var deep = make();
            var initial = new Hashtable { ["ok"] = 1, ["deep"] = deep };
            Assert.Equal("deep", Assert.Throws<ValueRefusedException>(() => new AgnoState(initial)).Key);

            var parent = new AgnoState();
            var fork = parent.Fork();
            Assert.Throws<ValueRefusedException>(() => fork.Set("deep", deep));
            Assert.True(fork.GetDelta().IsEmpty, kind);

            var codecError = Assert.Throws<FormatException>(() => TypedJsonCodec.Instance.Serialize(deep));
            Assert.Contains($"{DefaultValueCopier.MaxDepth} levels", codecError.Message);
        }

        [Fact]
        public void Equality_of_two_10000_deep_values_ends_without_overflowing_the_stack()
        {
            var a = Nest(Deep, inner => new Hashtable { ["n"] = inner });
            var b = Nest(Deep, inner => new Hashtable { ["n"] = inner });
            Assert.False(DefaultValueCopier.Instance.AreEqual(a, b)); // beyond MaxDepth equality is refused, not recursed
            Assert.True(DefaultValueCopier.Instance.AreEqual(a, a));
        }

        [Fact]
        public void Loading_a_10000_deep_stored_value_fails_as_unreadable_without_overflowing_the_stack()
        {
            var json = new StringBuilder();
            for (int i = 0; i < Deep; i++) json.Append("{\"t\":\"alist\",\"v\":[");
            json.Append("{\"t\":\"null\"}");
            for (int i = 0; i < Deep; i++) json.Append("]}");
            var error = Assert.Throws<FormatException>(() => TypedJsonCodec.Instance.Deserialize(json.ToString()));
            Assert.Contains("depth", error.Message, StringComparison.OrdinalIgnoreCase);
        }

        [Fact]
        public void Nesting_up_to_the_limit_is_accepted_by_the_state()
        {
            var atLimit = Nest(DefaultValueCopier.MaxDepth, inner => new Hashtable { ["n"] = inner });
            var state = new AgnoState();
            state.Set("deep", atLimit);
            Assert.True(state.Copier.AreEqual(atLimit, state.Get("deep")));
        }

        // A bug: the codec writes values up to MaxDepth (100) containers deep, but reads them back with
        // System.Text.Json's default JsonDocumentOptions.MaxDepth of 64 JSON levels. A hashtable costs
        // three JSON levels (object, "v" array, pair array), so a hashtable nested 22 deep is saved and
        // then can never be loaded: the whole session fails to open with AgnoStoreValueUnreadable.
        [Fact]
        public void The_store_codec_reads_back_every_value_it_writes_up_to_the_nesting_limit()
        {
            foreach (int levels in new[] { 22, 40, DefaultValueCopier.MaxDepth })
            {
                var value = Nest(levels, inner => new Hashtable { ["n"] = inner });
                var json = TypedJsonCodec.Instance.Serialize(value);
                var back = TypedJsonCodec.Instance.Deserialize(json);
                Assert.True(DefaultValueCopier.Instance.AreEqual(value, back), $"{levels} levels");
            }
        }

        // ---------------------------------------------------------------- bad input: cycles

        public static IEnumerable<object[]> CyclicValues()
        {
            var table = new Hashtable();
            table["self"] = table;
            var list = new List<object?> { 1 };
            list.Add(list);
            var array = new object?[2];
            array[1] = array;
            var outer = new Hashtable();
            var middle = new List<object?> { new Dictionary<string, object?> { ["back"] = outer } };
            outer["middle"] = middle;
            var ordered = new OrderedDictionary();
            ordered["me"] = new object?[] { ordered };
            return new[]
            {
                new object[] { "a hashtable containing itself", table },
                new object[] { "a list containing itself", list },
                new object[] { "an array containing itself", array },
                new object[] { "a cycle through three containers", outer },
                new object[] { "an ordered dictionary inside its own array", ordered },
            };
        }

        [Theory]
        [MemberData(nameof(CyclicValues))]
        public void A_value_that_contains_itself_is_refused_naming_the_key_and_nothing_is_stored(string kind, object cyclic)
        {
            var state = new AgnoState();
            state.Set("other", 1);

            var refused = Assert.Throws<ValueRefusedException>(() => state.Set("loop", cyclic));

            Assert.Equal("loop", refused.Key);
            Assert.Contains("cycle", refused.Message);
            Assert.Contains("'loop'", refused.Message);
            Assert.False(state.ContainsKey("loop"), kind);
            Assert.Equal(new[] { "other" }, state.Keys);
            Assert.Equal("loop", Assert.Throws<ValueRefusedException>(() => new AgnoState(new Hashtable { ["loop"] = cyclic })).Key);
        }

        [Theory]
        [MemberData(nameof(CyclicValues))]
        public void Codec_and_equality_of_a_value_that_contains_itself_end_without_overflowing(string kind, object cyclic)
        {
            Assert.Throws<FormatException>(() => TypedJsonCodec.Instance.Serialize(cyclic));
            Assert.True(DefaultValueCopier.Instance.AreEqual(cyclic, cyclic), kind);
        }

        // ---------------------------------------------------------------- bad input: keys

        [Fact]
        public void A_dictionary_with_non_string_keys_is_refused_as_initial_state_naming_the_key_type()
        {
            var initial = new Hashtable { ["fine"] = 1, [42] = "answer" };
            var error = Assert.Throws<ArgumentException>(() => new AgnoState(initial));
            Assert.Contains("[Int32]", error.Message);
            Assert.Contains("'42'", error.Message);
            Assert.Contains("keys must be strings", error.Message);
        }

        [Fact]
        public void A_value_that_is_a_dictionary_with_non_string_keys_keeps_its_keys_and_their_types_in_memory_and_in_the_store()
        {
            var when = new DateTime(2024, 2, 29, 12, 0, 0, DateTimeKind.Utc);
            var id = Guid.NewGuid();
            var table = new Hashtable { [1] = "int", [2L] = "long", [id] = "guid", [when] = "date", [DayOfWeek.Friday] = "enum", ["s"] = "string" };
            var typed = new Dictionary<int, string> { [7] = "seven", [-1] = "minus one" };
            var state = new AgnoState();
            state.Set("table", table);
            state.Set("typed", typed);

            foreach (var read in new[] { state.Get("table"), TypedJsonCodec.Instance.Deserialize(TypedJsonCodec.Instance.Serialize(table)) })
            {
                var copy = Assert.IsType<Hashtable>(read);
                Assert.Equal(table.Count, copy.Count);
                foreach (DictionaryEntry entry in table)
                {
                    Assert.True(copy.ContainsKey(entry.Key), $"key {entry.Key} ({entry.Key.GetType().Name})");
                    Assert.Equal(entry.Value, copy[entry.Key]);
                }
                Assert.Equal(table.Keys.Cast<object>().Select(k => k.GetType()).OrderBy(t => t.Name), copy.Keys.Cast<object>().Select(k => k.GetType()).OrderBy(t => t.Name));
            }
            foreach (var read in new[] { state.Get("typed"), TypedJsonCodec.Instance.Deserialize(TypedJsonCodec.Instance.Serialize(typed)) })
            {
                Assert.Equal(typed, Assert.IsType<Dictionary<int, string>>(read));
            }
        }

        [Theory]
        [InlineData(null)]
        [InlineData("")]
        [InlineData("   ")]
        [InlineData("\t\n")]
        public void A_bad_key_is_refused_by_every_reader_and_writer_and_leaves_the_state_alone(string? key)
        {
            var state = new AgnoState();
            state.Set("k", 1);
            var fork = state.Fork();
            Assert.ThrowsAny<ArgumentException>(() => state.Set(key!, 2));
            Assert.ThrowsAny<ArgumentException>(() => state.Remove(key!));
            Assert.ThrowsAny<ArgumentException>(() => state.TryGet(key!, out _));
            Assert.ThrowsAny<ArgumentException>(() => fork.Set(key!, 2));
            Assert.ThrowsAny<ArgumentException>(() => new MergePolicy().WithReducer(key!, Reducers.Sum()));
            Assert.Equal(new[] { "k" }, state.Keys);
            Assert.True(fork.GetDelta().IsEmpty);
        }

        // ---------------------------------------------------------------- reducers that throw, merges that fail

        private static readonly Gen<(int Base, int[][] Branches)> GenReducerCase =
            Gen.Select(Gen.Int[0, 20], Gen.Int[0, 20].Array[0, 4].Array[1, 6], (b, branches) => (b, branches));

        /// <summary>
        /// Property: a reducer that throws on some branch value fails the merge as a whole (naming the
        /// key and the branch) and leaves every key as before; otherwise the reducer's result is the
        /// model's (base + the sum of each branch's difference from base).
        /// </summary>
        [Fact]
        public async Task A_reducer_that_throws_fails_the_merge_as_a_whole_and_changes_nothing_else_it_equals_the_model()
        {
            await GenReducerCase.SampleAsync(async c =>
            {
                var session = AgnoSession.Create();
                session.State.Set("n", c.Base);
                session.State.Set("other", "before");
                var node = new ParallelNode("fan") { MergePolicy = new MergePolicy() };
                node.MergePolicy.WithReducer("n", Reducers.Custom("picky", (b, current, incoming) =>
                    (int)incoming! == 13 ? throw new InvalidOperationException("13 is unlucky") : (int)current! + (int)incoming - (int)b!));
                for (int i = 0; i < c.Branches.Length; i++)
                {
                    var writes = c.Branches[i];
                    int index = i;
                    node.AddNode(new Step("b" + i, s =>
                    {
                        foreach (var w in writes) s.State.Set("n", w);
                        s.State.Set("other", "from b" + index);
                    }));
                }
                var last = c.Branches.Select(b => b.Length == 0 ? (int?)null : b[^1]).ToList();
                var changing = last.Select((v, i) => (v, i)).Where(x => x.v.HasValue && x.v.Value != c.Base).ToList();
                var unlucky = changing.FirstOrDefault(x => x.v == 13);

                Exception? error = null;
                try { await node.ExecuteAsync(session).Guarded(); }
                catch (Exception e) { error = e; }

                if (changing.Any(x => x.v == 13))
                {
                    var failed = Assert.IsType<ReducerFailedException>(error);
                    Assert.Equal("n", failed.Key);
                    Assert.Equal("b" + unlucky.i, failed.Branch);
                    Assert.Contains("'n'", failed.Message);
                    Assert.Contains("Nothing was merged", failed.Message);
                    Assert.Equal(c.Base, session.State.Get("n"));
                    Assert.Equal("before", session.State.Get("other"));
                    Assert.Equal(NodeStatus.Failed, session.History[^1].Status);
                }
                else
                {
                    Assert.Null(error);
                    Assert.Equal(c.Base + changing.Sum(x => x.v!.Value - c.Base), session.State.Get("n"));
                    Assert.Equal("from b" + (c.Branches.Length - 1), session.State.Get("other"));
                }
                // the session is still usable
                session.State.Set("n", 0);
                Assert.Equal(0, session.State.Get("n"));
            }, iter: 200);
        }

        [Fact]
        public async Task A_Fail_merge_on_a_store_bound_session_changes_nothing_in_memory_or_in_the_store()
        {
            using var store = new InMemorySessionStore();
            var session = store.OpenSession("s1");
            session.State.Set("k", 0);
            session.State.Set("untouched", "u");
            var versionBefore = store.ListSessions().Single().Version;
            var node = new ParallelNode("fan") { MergePolicy = new MergePolicy { Strategy = MergeStrategy.Fail } };
            node.AddNode(TestSupport.SetStep("a", "k", 1)).AddNode(TestSupport.SetStep("b", "k", 2)).AddNode(TestSupport.SetStep("c", "new", 3));

            var conflict = await Assert.ThrowsAsync<MergeConflictException>(() => node.ExecuteAsync(session).Guarded());

            Assert.Contains("'k'", conflict.Message);
            Assert.Contains("'a'", conflict.Message);
            Assert.Contains("'b'", conflict.Message);
            Assert.Equal(new Dictionary<string, object?> { ["k"] = 0, ["untouched"] = "u" }, TestSupport.Plain(session.State));
            Assert.Equal(versionBefore, store.ListSessions().Single().Version);
            var reopened = store.OpenSession("s1");
            Assert.Equal(new Dictionary<string, object?> { ["k"] = 0, ["untouched"] = "u" }, TestSupport.Plain(reopened.State));
            // the next run works
            await new ParallelNode("again").AddNode(TestSupport.SetStep("a", "k", 5)).ExecuteAsync(session).Guarded();
            Assert.Equal(5, store.OpenSession("s1").State.Get("k"));
        }

        // ---------------------------------------------------------------- a store that cannot be written

        /// <summary>A store binding whose writes fail on demand (a full disk, a read-only file, a lost lock).</summary>
        private sealed class FailingCommitter : IStateCommitter, IRunJournal
        {
            public bool FailCommits;
            public bool FailRunFinished;
            public int Commits;

            public StoredChanges? Pull(long sinceVersion) => null;

            public StateCommit Commit(StateSnapshot baseState, StateDelta delta, long knownVersion, Checkpoint? checkpoint)
            {
                if (FailCommits) throw new StoreException("AgnoStoreWriteFailed", "The store 'fake' could not be written: disk full. Nothing was saved.");
                Commits++;
                return new StateCommit(new StoredChanges(knownVersion + 1, delta.Changes, isWhole: false), Array.Empty<StoreConflict>());
            }

            public void RunFinished(RunRecord run)
            {
                if (FailRunFinished) throw new StoreException("AgnoStoreWriteFailed", "The store 'fake' could not be written: disk full. Nothing was saved.");
            }

            public ResumePoint? FindUnfinishedRun(string name) => null;
        }

        [Fact]
        public async Task A_commit_that_fails_leaves_memory_as_before_for_a_Set_a_step_and_a_merge_and_the_next_commit_works()
        {
            var committer = new FailingCommitter();
            var session = AgnoSession.Create(null, null, null, null, committer);
            session.State.Bind(committer, new StoredChanges(0, Array.Empty<StateChange>(), isWhole: false));
            session.State.Set("a", 1);
            committer.FailCommits = true;

            var setError = Assert.Throws<StoreException>(() => session.State.Set("b", 2));
            Assert.Equal("AgnoStoreWriteFailed", setError.ErrorId);
            Assert.Throws<StoreException>(() => session.State.Remove("a"));

            var workflow = new Workflow("w").AddStep(TestSupport.SetStep("write-b", "b", 2));
            var stepError = await Assert.ThrowsAsync<StoreException>(() => workflow.ExecuteAsync(session).Guarded());
            Assert.Equal("AgnoStoreWriteFailed", stepError.ErrorId);
            Assert.Equal(NodeStatus.Failed, session.History[^1].Status);
            Assert.Equal(NodeStatus.Failed, session.History[^1].Steps.Single().Status);

            var fan = new ParallelNode("fan").AddNode(TestSupport.SetStep("x", "x", 1)).AddNode(TestSupport.SetStep("y", "y", 1));
            await Assert.ThrowsAsync<StoreException>(() => fan.ExecuteAsync(session).Guarded());

            Assert.Equal(new Dictionary<string, object?> { ["a"] = 1 }, TestSupport.Plain(session.State));

            committer.FailCommits = false;
            await workflow.ExecuteAsync(session).Guarded();
            await fan.ExecuteAsync(session).Guarded();
            Assert.Equal(new Dictionary<string, object?> { ["a"] = 1, ["b"] = 2, ["x"] = 1, ["y"] = 1 }, TestSupport.Plain(session.State));
        }

        // A bug: WorkflowNode.ExecuteAsync calls journal.RunFinished in its finally block; when that
        // throws (the store is locked or full when the run ends), its exception replaces the run's own:
        // the user is told the store failed, not which step failed and why. With the SQLite store and
        // a lock held by another process this also costs a second busy timeout (10 s) before the error.
        [Fact]
        public async Task A_failure_to_record_the_end_of_a_run_does_not_hide_why_the_run_failed()
        {
            var committer = new FailingCommitter { FailRunFinished = true };
            var session = AgnoSession.Create(null, null, null, null, committer);
            session.State.Bind(committer, new StoredChanges(0, Array.Empty<StateChange>(), isWhole: false));
            var workflow = new Workflow("w").AddStep(TestSupport.FailStep("explode", "the real reason"));

            var error = await Assert.ThrowsAnyAsync<Exception>(() => workflow.ExecuteAsync(session).Guarded());

            var stepFailed = Assert.IsType<StepFailedException>(error);
            Assert.Equal("explode", stepFailed.StepName);
            Assert.Contains("the real reason", stepFailed.Message);
        }

        // ---------------------------------------------------------------- the store codec's types

        // A bug: TypedJsonCodec writes an array or List<T> whose element type has no element tag (a
        // Hashtable[], a Uri[], a List<Hashtable>) without its element type, and reads it back as
        // object[] / List<object>: the type changes silently on a save and a load, although the same
        // value keeps its type in memory, and a Dictionary<string, Hashtable> is refused instead.
        [Fact]
        public void The_store_codec_keeps_the_element_type_of_arrays_and_lists_or_refuses_them()
        {
            var values = new object[]
            {
                new[] { new Hashtable { ["a"] = 1 } },
                new[] { new Uri("http://example.com/") },
                new List<Hashtable> { new Hashtable { ["a"] = 1 } },
            };
            foreach (var value in values)
            {
                object? back;
                try { back = TypedJsonCodec.Instance.Deserialize(TypedJsonCodec.Instance.Serialize(value)); }
                catch (FormatException) { continue; } // refusing it at the Set is fine too
                Assert.Equal(value.GetType(), back!.GetType());
            }
        }

        // A bug: a string holding a lone UTF-16 surrogate (half of an emoji cut by Substring) is saved
        // with the surrogate replaced by U+FFFD: what is loaded differs from what was set, silently.
        [Fact]
        public void The_store_codec_keeps_a_string_with_a_lone_surrogate_or_refuses_it()
        {
            var text = "ab" + '\uD83D' + "cd";
            string json;
            try { json = TypedJsonCodec.Instance.Serialize(text); }
            catch (FormatException) { return; }
            Assert.Equal(text, TypedJsonCodec.Instance.Deserialize(json));
        }

        // ---------------------------------------------------------------- property-based round trips

        /// <summary>
        /// Random nested values: hashtables (case-insensitive or not, string or int keys), ordered
        /// dictionaries, Dictionary&lt;string, object&gt;, List&lt;object&gt;, ArrayList, object[],
        /// typed arrays and lists of primitives, and primitives of every kind the state keeps.
        /// Built from a seed CsCheck draws, so a failure prints a seed that reproduces it.
        /// </summary>
        private sealed class ValueBuilder
        {
            private readonly Random _random;

            public ValueBuilder(int seed) { _random = new Random(seed); }

            public object? Next(int depth)
            {
                int pick = _random.Next(depth >= 5 ? 14 : 24);
                switch (pick)
                {
                    case 0: return null;
                    case 1: return _random.Next(int.MinValue, int.MaxValue);
                    case 2: return (long)_random.Next() * _random.Next();
                    case 3: return _random.NextDouble() * 1e6 - 5e5;
                    case 4: return (decimal)_random.Next() / 100m;
                    case 5: return _random.Next(2) == 0;
                    case 6: return Text();
                    case 7: return (char)_random.Next(0x20, 0xD000);
                    case 8: return new DateTime(_random.NextInt64(DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks), (DateTimeKind)_random.Next(3));
                    case 9: return new DateTimeOffset(_random.NextInt64(DateTime.MinValue.Ticks / 2, DateTime.MaxValue.Ticks / 2), TimeSpan.FromMinutes(_random.Next(-600, 600)));
                    case 10:
                        var guid = new byte[16];
                        _random.NextBytes(guid);
                        return new Guid(guid);
                    case 11: return TimeSpan.FromTicks(_random.NextInt64(-1_000_000_000_000, 1_000_000_000_000));
                    case 12: return (DayOfWeek)_random.Next(7);
                    case 13:
                        var bytes = new byte[_random.Next(0, 6)];
                        _random.NextBytes(bytes);
                        return bytes;
                    case 14: case 15: return Table(depth);
                    case 16: return Ordered(depth);
                    case 17: return Items(depth, new List<object?>());
                    case 18: return Items(depth, new ArrayList());
                    case 19: return Items(depth, new List<object?>()).ToArray();
                    case 20: return Enumerable.Range(0, _random.Next(0, 5)).Select(_ => _random.Next()).ToArray();
                    case 21: return Enumerable.Range(0, _random.Next(0, 5)).Select(_ => Text()).ToList();
                    case 22:
                        var dictionary = new Dictionary<string, object?>(_random.Next(2) == 0 ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
                        foreach (var key in Keys()) dictionary[key] = Next(depth + 1);
                        return dictionary;
                    default: return _random.Next(2) == 0 ? (object)(float)_random.NextDouble() : (short)_random.Next(short.MinValue, short.MaxValue);
                }
            }

            private string Text()
            {
                const string alphabet = "abcXYZ 09_-é中🙂\t\n\"'\\{}[]";
                var chars = new StringBuilder();
                int length = _random.Next(0, 12);
                while (chars.Length < length)
                {
                    int i = _random.Next(alphabet.Length);
                    if (char.IsSurrogate(alphabet[i])) { chars.Append("🙂"); continue; } // whole pairs only
                    chars.Append(alphabet[i]);
                }
                return chars.ToString();
            }

            private List<string> Keys()
            {
                var keys = new List<string>();
                int count = _random.Next(0, 5);
                for (int i = 0; i < count; i++)
                {
                    var key = "k" + _random.Next(100) + (_random.Next(2) == 0 ? "" : "Ü");
                    if (!keys.Contains(key, StringComparer.OrdinalIgnoreCase)) keys.Add(key);
                }
                return keys;
            }

            private Hashtable Table(int depth)
            {
                var table = _random.Next(2) == 0 ? new Hashtable(StringComparer.OrdinalIgnoreCase) : new Hashtable();
                foreach (var key in Keys()) table[key] = Next(depth + 1);
                if (_random.Next(4) == 0) table[_random.Next(1000)] = Next(depth + 1); // a non-string key
                return table;
            }

            private OrderedDictionary Ordered(int depth)
            {
                var ordered = _random.Next(2) == 0 ? new OrderedDictionary(StringComparer.OrdinalIgnoreCase) : new OrderedDictionary();
                foreach (var key in Keys()) ordered[key] = Next(depth + 1);
                return ordered;
            }

            private T Items<T>(int depth, T list) where T : IList
            {
                int count = _random.Next(0, 5);
                for (int i = 0; i < count; i++) list.Add(Next(depth + 1));
                return list;
            }
        }

        private static readonly FieldInfo OrderedComparerField =
            typeof(OrderedDictionary).GetField("_comparer", BindingFlags.Instance | BindingFlags.NonPublic)
            ?? typeof(OrderedDictionary).GetField("comparer", BindingFlags.Instance | BindingFlags.NonPublic)!;
        private static readonly PropertyInfo HashtableComparer =
            typeof(Hashtable).GetProperty("EqualityComparer", BindingFlags.Instance | BindingFlags.NonPublic)!;

        private static object? ComparerOf(object dictionary) => dictionary switch
        {
            Hashtable h => HashtableComparer.GetValue(h),
            OrderedDictionary o => OrderedComparerField.GetValue(o),
            _ => dictionary.GetType().GetProperty("Comparer")?.GetValue(dictionary),
        };

        /// <summary>Asserts <paramref name="actual"/> has the shape, types, comparers, order and values of <paramref name="expected"/>.</summary>
        private static void AssertSameValue(object? expected, object? actual, string path)
        {
            if (expected == null)
            {
                Assert.True(actual == null, $"{path}: expected null, got {actual}");
                return;
            }
            Assert.True(actual != null, $"{path}: expected a {expected.GetType().Name}, got null");
            Assert.True(expected.GetType() == actual!.GetType(), $"{path}: expected [{expected.GetType()}], got [{actual.GetType()}]");
            switch (expected)
            {
                case IDictionary e:
                    var a = (IDictionary)actual;
                    Assert.True(Equals(ComparerOf(e), ComparerOf(a)), $"{path}: the key comparer changed");
                    Assert.True(e.Count == a.Count, $"{path}: {e.Count} entries expected, {a.Count} found");
                    if (e is OrderedDictionary)
                    {
                        Assert.Equal(e.Keys.Cast<object>(), a.Keys.Cast<object>());
                    }
                    foreach (DictionaryEntry entry in e)
                    {
                        Assert.True(a.Contains(entry.Key), $"{path}: key {entry.Key} missing");
                        var key = a.Keys.Cast<object>().First(k => Equals(k, entry.Key) || (ComparerOf(a) is IEqualityComparer c && c.Equals(k, entry.Key)));
                        Assert.True(entry.Key.GetType() == key.GetType(), $"{path}: key {entry.Key} changed type");
                        AssertSameValue(entry.Value, a[entry.Key], $"{path}[{entry.Key}]");
                    }
                    break;
                case IList e:
                    var l = (IList)actual;
                    Assert.True(e.Count == l.Count, $"{path}: {e.Count} items expected, {l.Count} found");
                    for (int i = 0; i < e.Count; i++) AssertSameValue(e[i], l[i], $"{path}[{i}]");
                    break;
                default:
                    Assert.True(expected.Equals(actual), $"{path}: expected {expected}, got {actual}");
                    break;
            }
        }

        /// <summary>Every container (array, list, dictionary) inside <paramref name="value"/>, itself included.</summary>
        private static IEnumerable<object> Containers(object? value)
        {
            switch (value)
            {
                case IDictionary d:
                    yield return d;
                    foreach (DictionaryEntry entry in d)
                    {
                        foreach (var c in Containers(entry.Key).Concat(Containers(entry.Value))) yield return c;
                    }
                    break;
                case IList l:
                    yield return l;
                    foreach (var item in l)
                    {
                        foreach (var c in Containers(item)) yield return c;
                    }
                    break;
            }
        }

        /// <summary>Changes every container of <paramref name="value"/>: what must never reach the original.</summary>
        private static void Vandalise(object? value)
        {
            foreach (var container in Containers(value).ToList())
            {
                switch (container)
                {
                    case IDictionary d when !d.IsReadOnly: d.Clear(); d["vandal"] = "was here"; break;
                    case Array a when a.Length > 0: a.SetValue(a.GetType().GetElementType()!.IsValueType ? Activator.CreateInstance(a.GetType().GetElementType()!) : null, 0); break;
                    case IList l when !l.IsFixedSize: l.Clear(); break;
                }
            }
        }

        /// <summary>
        /// Property: the copier's copy of a random nested value is structurally equal to it, of the
        /// same types all the way down (comparers and order included), shares no container with it,
        /// and can be changed without changing it; the same holds through a Set and a Get.
        /// </summary>
        [Fact]
        public void Copier_round_trip_of_random_nested_values_is_equal_typed_alike_and_independent()
        {
            Gen.Int.Sample(seed =>
            {
                var original = new ValueBuilder(seed).Next(0);
                var twin = new ValueBuilder(seed).Next(0); // the same value, never touched
                var state = new AgnoState();
                state.Set("v", original);

                foreach (var copy in new[] { DefaultValueCopier.Instance.Copy(original), state.Get("v") })
                {
                    AssertSameValue(original, copy, $"seed {seed}");
                    Assert.True(DefaultValueCopier.Instance.AreEqual(original, copy), $"seed {seed}: AreEqual says the copy differs");
                    var originals = new HashSet<object>(Containers(original), ReferenceEqualityComparer.Instance);
                    Assert.True(!Containers(copy).Any(originals.Contains), $"seed {seed}: the copy shares a container with the original");
                    Vandalise(copy);
                    AssertSameValue(twin, original, $"seed {seed} (original after the copy was changed)");
                }
                Vandalise(original);
                AssertSameValue(twin, state.Get("v"), $"seed {seed} (state after the original was changed)");
            }, iter: 300);
        }

        /// <summary>Property: the store's codec loads back what it saved, of the same types all the way down.</summary>
        [Fact]
        public void Store_codec_round_trip_of_random_nested_values_is_equal_and_typed_alike()
        {
            Gen.Int.Sample(seed =>
            {
                var original = new ValueBuilder(seed).Next(0);
                var json = TypedJsonCodec.Instance.Serialize(original);
                AssertSameValue(original, TypedJsonCodec.Instance.Deserialize(json), $"seed {seed}: {json}");
            }, iter: 300);
        }
    }
}
