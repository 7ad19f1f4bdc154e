using System;
using System.Collections;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Collections.Specialized;
using System.IO;
using System.Linq;
using System.Net;
using System.Numerics;
using System.Text;
using Agno.Core;
using Xunit;

namespace Agno.Tests
{
    public class ValueCopierTests
    {
        private enum Color { Red, Green }

        private static object? RoundTrip(object? value)
        {
            var state = new AgnoState();
            state.Set("v", value);
            return state.Get("v");
        }

        // ---- type fidelity ----

        [Fact]
        public void Int_stays_int()
        {
            var v = RoundTrip(30);
            Assert.IsType<int>(v);
            Assert.Equal(30, v);
        }

        [Fact]
        public void Long_stays_long() => Assert.Equal(5_000_000_000L, Assert.IsType<long>(RoundTrip(5_000_000_000L)));

        [Fact]
        public void Double_stays_double() => Assert.Equal(1.5, Assert.IsType<double>(RoundTrip(1.5)));

        [Fact]
        public void Decimal_stays_decimal() => Assert.Equal(1.10m, Assert.IsType<decimal>(RoundTrip(1.10m)));

        [Fact]
        public void Bool_string_and_char_survive()
        {
            Assert.True(Assert.IsType<bool>(RoundTrip(true)));
            Assert.Equal("text", Assert.IsType<string>(RoundTrip("text")));
            Assert.Equal('c', Assert.IsType<char>(RoundTrip('c')));
        }

        [Fact]
        public void DateTime_stays_DateTime_with_its_kind()
        {
            var now = new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc);
            var v = Assert.IsType<DateTime>(RoundTrip(now));
            Assert.Equal(now, v);
            Assert.Equal(DateTimeKind.Utc, v.Kind);
        }

        [Fact]
        public void DateTimeOffset_stays_DateTimeOffset_with_its_offset()
        {
            var t = new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.FromHours(9));
            var v = Assert.IsType<DateTimeOffset>(RoundTrip(t));
            Assert.Equal(t, v);
            Assert.Equal(TimeSpan.FromHours(9), v.Offset);
        }

        [Fact]
        public void TimeSpan_Guid_and_enum_survive()
        {
            Assert.Equal(TimeSpan.FromMinutes(3), Assert.IsType<TimeSpan>(RoundTrip(TimeSpan.FromMinutes(3))));
            var g = Guid.NewGuid();
            Assert.Equal(g, Assert.IsType<Guid>(RoundTrip(g)));
            Assert.Equal(Color.Green, Assert.IsType<Color>(RoundTrip(Color.Green)));
        }

        [Fact]
        public void Uri_Version_BigInteger_and_DBNull_are_shared_as_immutable()
        {
            var uri = new Uri("https://example.com/x");
            var version = new Version(1, 2, 3);
            var big = BigInteger.Pow(2, 100);
            Assert.Same(uri, RoundTrip(uri));
            Assert.Same(version, RoundTrip(version));
            Assert.Equal(big, RoundTrip(big));
            Assert.Same(DBNull.Value, RoundTrip(DBNull.Value));
        }

        [Fact]
        public void Byte_array_stays_byte_array_and_is_copied()
        {
            var bytes = new byte[] { 1, 2, 3 };
            var state = new AgnoState();
            state.Set("b", bytes);
            bytes[0] = 99;
            var read = Assert.IsType<byte[]>(state.Get("b"));
            Assert.Equal(new byte[] { 1, 2, 3 }, read);
            read[1] = 99;
            Assert.Equal(new byte[] { 1, 2, 3 }, state.Get("b"));
        }

        [Fact]
        public void Arrays_keep_their_element_type()
        {
            Assert.IsType<int[]>(RoundTrip(new[] { 1, 2 }));
            Assert.IsType<string[]>(RoundTrip(new[] { "a", "b" }));
            Assert.IsType<Color[]>(RoundTrip(new[] { Color.Red }));
            var lists = Assert.IsType<List<int>[]>(RoundTrip(new[] { new List<int> { 1 } }));
            Assert.Equal(new List<int> { 1 }, lists[0]);
            var objects = Assert.IsType<object[]>(RoundTrip(new object[] { 1, "a", 2L }));
            Assert.IsType<int>(objects[0]);
            Assert.IsType<long>(objects[2]);
        }

        [Fact]
        public void Empty_and_one_element_arrays_survive_as_arrays()
        {
            Assert.Empty(Assert.IsType<object[]>(RoundTrip(Array.Empty<object>())));
            Assert.Equal(new[] { "only" }, Assert.IsType<string[]>(RoundTrip(new[] { "only" })));
        }

        [Fact]
        public void Jagged_arrays_are_copied_deeply()
        {
            var jagged = new[] { new[] { 1, 2 }, new[] { 3 } };
            var state = new AgnoState();
            state.Set("j", jagged);
            jagged[0][0] = 99;
            var read = Assert.IsType<int[][]>(state.Get("j"));
            Assert.Equal(1, read[0][0]);
        }

        [Fact]
        public void Multidimensional_array_of_immutable_items_is_copied()
        {
            var grid = new int[2, 2] { { 1, 2 }, { 3, 4 } };
            var state = new AgnoState();
            state.Set("g", grid);
            grid[0, 0] = 99;
            var read = Assert.IsType<int[,]>(state.Get("g"));
            Assert.Equal(1, read[0, 0]);
        }

        [Fact]
        public void Multidimensional_array_of_mutable_items_is_refused()
        {
            var grid = new List<int>[1, 1];
            var e = Assert.Throws<ValueRefusedException>(() => new AgnoState().Set("g", grid));
            Assert.Contains("2-dimensional", e.Message);
        }

        [Fact]
        public void List_of_T_stays_List_of_T()
        {
            var v = Assert.IsType<List<string>>(RoundTrip(new List<string> { "a", "b" }));
            Assert.Equal(new[] { "a", "b" }, v);
        }

        [Fact]
        public void ArrayList_and_Collection_of_T_survive()
        {
            var arrayList = Assert.IsType<ArrayList>(RoundTrip(new ArrayList { 1, "x" }));
            Assert.Equal(new object[] { 1, "x" }, arrayList.Cast<object>());
            var collection = Assert.IsType<Collection<int>>(RoundTrip(new Collection<int> { 4, 5 }));
            Assert.Equal(new[] { 4, 5 }, collection);
        }

        [Fact]
        public void Hashtable_keeps_its_case_insensitive_comparer()
        {
            var table = new Hashtable(StringComparer.OrdinalIgnoreCase) { ["Name"] = "x" };
            var copy = Assert.IsType<Hashtable>(RoundTrip(table));
            Assert.Equal("x", copy["NAME"]);
            copy["name"] = "y";
            Assert.Single(copy.Keys.Cast<object>());
        }

        [Fact]
        public void Hashtable_with_the_default_comparer_stays_case_sensitive()
        {
            var copy = Assert.IsType<Hashtable>(RoundTrip(new Hashtable { ["Name"] = "x" }));
            Assert.Null(copy["NAME"]);
        }

        [Fact]
        public void OrderedDictionary_keeps_its_order()
        {
            var ordered = new OrderedDictionary { ["z"] = 1, ["a"] = 2, ["m"] = 3 };
            var copy = Assert.IsType<OrderedDictionary>(RoundTrip(ordered));
            Assert.Equal(new object[] { "z", "a", "m" }, copy.Keys.Cast<object>());
            Assert.Equal(new object[] { 1, 2, 3 }, copy.Values.Cast<object>());
        }

        [Fact]
        public void OrderedDictionary_keeps_its_case_insensitive_comparer()
        {
            var ordered = new OrderedDictionary(StringComparer.OrdinalIgnoreCase) { ["Key"] = 1 };
            var copy = Assert.IsType<OrderedDictionary>(RoundTrip(ordered));
            Assert.Equal(1, copy["KEY"]);
        }

        [Fact]
        public void Dictionary_of_string_object_keeps_its_comparer()
        {
            var dict = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase) { ["Key"] = 1 };
            var copy = Assert.IsType<Dictionary<string, object?>>(RoundTrip(dict));
            Assert.Same(StringComparer.OrdinalIgnoreCase, copy.Comparer);
            Assert.Equal(1, copy["KEY"]);
        }

        [Fact]
        public void SortedDictionary_and_SortedList_keep_their_comparer()
        {
            var sorted = new SortedDictionary<string, int>(StringComparer.OrdinalIgnoreCase) { ["b"] = 2, ["A"] = 1 };
            var sortedCopy = Assert.IsType<SortedDictionary<string, int>>(RoundTrip(sorted));
            Assert.Same(StringComparer.OrdinalIgnoreCase, sortedCopy.Comparer);
            Assert.Equal(new[] { "A", "b" }, sortedCopy.Keys);

            var list = new SortedList<string, int>(StringComparer.OrdinalIgnoreCase) { ["b"] = 2, ["A"] = 1 };
            var listCopy = Assert.IsType<SortedList<string, int>>(RoundTrip(list));
            Assert.Equal(1, listCopy["a"]);
        }

        [Fact]
        public void ConcurrentDictionary_keeps_its_comparer()
        {
            var dict = new ConcurrentDictionary<string, int>(StringComparer.OrdinalIgnoreCase);
            dict["Key"] = 1;
            var copy = Assert.IsType<ConcurrentDictionary<string, int>>(RoundTrip(dict));
            Assert.True(copy.ContainsKey("KEY"));
        }

        [Fact]
        public void Nested_containers_keep_their_types_all_the_way_down()
        {
            var value = new Hashtable(StringComparer.OrdinalIgnoreCase)
            {
                ["list"] = new List<object> { 1, new OrderedDictionary { ["b"] = 2L, ["a"] = new[] { 1.5 } } },
            };
            var copy = Assert.IsType<Hashtable>(RoundTrip(value));
            var list = Assert.IsType<List<object>>(copy["LIST"]);
            Assert.IsType<int>(list[0]);
            var ordered = Assert.IsType<OrderedDictionary>(list[1]);
            Assert.IsType<long>(ordered["b"]);
            Assert.IsType<double[]>(ordered["a"]);
        }

        [Fact]
        public void A_plain_struct_is_stored_by_value()
        {
            var point = new Point { X = 1, Y = 2 };
            Assert.Equal(point, RoundTrip(point));
        }

        // ---- isolation ----

        [Fact]
        public void Mutating_what_was_stored_never_changes_the_state()
        {
            var list = new List<int> { 1 };
            var table = new Hashtable { ["a"] = new List<int> { 1 } };
            var state = new AgnoState();
            state.Set("list", list);
            state.Set("table", table);
            list.Add(2);
            ((List<int>)table["a"]!).Add(2);
            table["b"] = 3;
            Assert.Equal(new List<int> { 1 }, state.Get("list"));
            var stored = (Hashtable)state.Get("table")!;
            Assert.Single(stored.Keys.Cast<object>());
            Assert.Equal(new List<int> { 1 }, stored["a"]);
        }

        [Fact]
        public void Mutating_what_was_read_never_changes_the_state()
        {
            var state = new AgnoState();
            state.Set("dict", new Dictionary<string, List<int>> { ["a"] = new List<int> { 1 } });
            var read = (Dictionary<string, List<int>>)state.Get("dict")!;
            read["a"].Add(2);
            read["b"] = new List<int>();
            Assert.True(state.TryGet("dict", out var again));
            var fresh = (Dictionary<string, List<int>>)again!;
            Assert.Single(fresh);
            Assert.Equal(new List<int> { 1 }, fresh["a"]);
            Assert.NotSame(read, fresh);
        }

        [Fact]
        public void Two_reads_return_independent_copies()
        {
            var state = new AgnoState();
            state.Set("l", new List<int> { 1 });
            Assert.NotSame(state.Get("l"), state.Get("l"));
        }

        [Fact]
        public void A_struct_holding_a_mutable_list_is_isolated_or_refused()
        {
            var list = new List<int> { 1 };
            var state = new AgnoState();
            try
            {
                state.Set("pair", new KeyValuePair<string, List<int>>("k", list));
            }
            catch (ValueRefusedException)
            {
                return; // refusing it is acceptable too
            }
            list.Add(2);
            var read = (KeyValuePair<string, List<int>>)state.Get("pair")!;
            Assert.Equal(new List<int> { 1 }, read.Value);
        }

        // ---- refusals ----

        [Fact]
        public void A_cycle_is_refused_naming_the_key_and_nothing_is_stored()
        {
            var state = new AgnoState();
            state.Set("loop", "before");
            var cyclic = new List<object> { 1 };
            cyclic.Add(cyclic);
            var e = Assert.Throws<ValueRefusedException>(() => state.Set("loop", cyclic));
            Assert.Equal("loop", e.Key);
            Assert.Contains("'loop'", e.Message);
            Assert.Contains("cycle", e.Reason);
            Assert.Contains("Nothing was stored", e.Message);
            Assert.Equal("AgnoStateValueRefused", e.ErrorId);
            Assert.Equal("before", state.Get("loop"));
        }

        [Fact]
        public void A_cycle_through_a_dictionary_is_refused_and_a_new_key_is_not_created()
        {
            var state = new AgnoState();
            var table = new Hashtable();
            table["self"] = new object[] { table };
            var e = Assert.Throws<ValueRefusedException>(() => state.Set("t", table));
            Assert.Equal("t", e.Key);
            Assert.False(state.ContainsKey("t"));
            Assert.Equal(0, state.Count);
        }

        [Fact]
        public void The_same_object_twice_without_a_cycle_is_accepted()
        {
            var shared = new List<int> { 1 };
            var copy = Assert.IsType<List<object>>(RoundTrip(new List<object> { shared, shared }));
            Assert.Equal(2, copy.Count);
        }

        private static object Nest(int containers)
        {
            object value = 1;
            for (int i = 0; i < containers; i++) value = new List<object> { value };
            return value;
        }

        [Fact]
        public void Nesting_up_to_MaxDepth_is_accepted()
        {
            var state = new AgnoState();
            state.Set("deep", Nest(DefaultValueCopier.MaxDepth));
            Assert.True(state.ContainsKey("deep"));
        }

        [Fact]
        public void Nesting_deeper_than_MaxDepth_is_refused_naming_the_key()
        {
            var state = new AgnoState();
            var e = Assert.Throws<ValueRefusedException>(() => state.Set("deep", Nest(DefaultValueCopier.MaxDepth + 1)));
            Assert.Equal("deep", e.Key);
            Assert.Contains(DefaultValueCopier.MaxDepth.ToString(), e.Reason);
            Assert.False(state.ContainsKey("deep"));
        }

        [Fact]
        public void An_unknown_mutable_class_is_refused()
        {
            var state = new AgnoState();
            var e = Assert.Throws<ValueRefusedException>(() => state.Set("box", new Mutable()));
            Assert.Equal("box", e.Key);
            Assert.Contains(typeof(Mutable).FullName!, e.Reason);
            Assert.False(state.ContainsKey("box"));
        }

        [Fact]
        public void A_StringBuilder_comes_back_as_itself_with_its_text_and_independent()
        {
            var builder = new StringBuilder("hello");
            var state = new AgnoState();
            state.Set("sb", builder);
            builder.Append(" changed");
            var read = Assert.IsType<StringBuilder>(state.Get("sb"));
            Assert.Equal("hello", read.ToString());
            read.Append("!");
            Assert.Equal("hello", state.Get("sb")!.ToString());
        }

        [Fact]
        public void A_FileInfo_and_a_DirectoryInfo_come_back_as_themselves_for_the_same_path()
        {
            var file = new FileInfo(Path.Combine(Path.GetTempPath(), "agno-copier.log"));
            var folder = new DirectoryInfo(Path.GetTempPath());
            var readFile = Assert.IsType<FileInfo>(RoundTrip(file));
            var readFolder = Assert.IsType<DirectoryInfo>(RoundTrip(folder));
            Assert.NotSame(file, readFile);
            Assert.Equal(file.FullName, readFile.FullName);
            Assert.Equal(file.ToString(), readFile.ToString());
            Assert.Equal(folder.FullName, readFolder.FullName);
            Assert.True(DefaultValueCopier.Instance.AreEqual(file, readFile));
        }

        [Fact]
        public void An_IPAddress_comes_back_as_itself_and_its_scope_is_its_own()
        {
            var address = IPAddress.Parse("fe80::1%3");
            var state = new AgnoState();
            state.Set("ip", address);
            address.ScopeId = 7;
            var read = Assert.IsType<IPAddress>(state.Get("ip"));
            Assert.Equal("fe80::1%3", read.ToString());
        }

        [Fact]
        public void An_unknown_class_nested_in_a_list_is_refused()
        {
            var state = new AgnoState();
            var e = Assert.Throws<ValueRefusedException>(() => state.Set("l", new List<object> { new Mutable() }));
            Assert.Equal("l", e.Key);
        }

        [Fact]
        public void A_collection_without_a_parameterless_constructor_is_refused()
        {
            var e = Assert.Throws<ValueRefusedException>(() =>
                new AgnoState().Set("ro", new ReadOnlyCollection<int>(new[] { 1 })));
            Assert.Contains("parameterless constructor", e.Reason);
        }

        [Fact]
        public void A_read_only_collection_type_is_refused()
        {
            var e = Assert.Throws<ValueRefusedException>(() => new AgnoState().Set("ro", new AlwaysReadOnlyList()));
            Assert.Contains("read-only", e.Reason);
        }

        [Fact]
        public void Copy_without_a_key_gives_a_message_without_a_key()
        {
            var cyclic = new List<object>();
            cyclic.Add(cyclic);
            var e = Assert.Throws<ValueRefusedException>(() => DefaultValueCopier.Instance.Copy(cyclic));
            Assert.Null(e.Key);
            Assert.StartsWith("The value cannot be stored:", e.Message);
        }

        [Fact]
        public void Copy_of_null_and_immutables_returns_them()
        {
            var copier = DefaultValueCopier.Instance;
            Assert.Null(copier.Copy(null));
            var s = "x";
            Assert.Same(s, copier.Copy(s));
            Assert.True(copier.IsImmutable(null));
            Assert.True(copier.IsImmutable(5));
            Assert.False(copier.IsImmutable(new int[0]));
        }

        // ---- AreEqual ----

        [Fact]
        public void AreEqual_is_structural_for_lists_and_dictionaries()
        {
            var c = DefaultValueCopier.Instance;
            Assert.True(c.AreEqual(new List<int> { 1, 2 }, new List<int> { 1, 2 }));
            Assert.False(c.AreEqual(new List<int> { 1, 2 }, new List<int> { 2, 1 }));
            Assert.False(c.AreEqual(new List<int> { 1 }, new List<int> { 1, 2 }));
            Assert.True(c.AreEqual(new Hashtable { ["a"] = new[] { 1 } }, new Hashtable { ["a"] = new[] { 1 } }));
            Assert.False(c.AreEqual(new Hashtable { ["a"] = 1 }, new Hashtable { ["a"] = 2 }));
            Assert.False(c.AreEqual(new Hashtable { ["a"] = 1 }, new Hashtable { ["b"] = 1 }));
            Assert.False(c.AreEqual(new Hashtable { ["a"] = 1 }, new Hashtable { ["a"] = 1, ["b"] = 2 }));
        }

        [Fact]
        public void AreEqual_distinguishes_types_and_nulls()
        {
            var c = DefaultValueCopier.Instance;
            Assert.True(c.AreEqual(null, null));
            Assert.False(c.AreEqual(null, 1));
            Assert.False(c.AreEqual(1, null));
            Assert.False(c.AreEqual(1, 1L));
            Assert.False(c.AreEqual(new List<int> { 1 }, new[] { 1 }));
            Assert.True(c.AreEqual("a", "a"));
            Assert.True(c.AreEqual(1.5, 1.5));
        }

        [Fact]
        public void AreEqual_for_ordered_dictionaries_includes_key_order()
        {
            var c = DefaultValueCopier.Instance;
            var ab = new OrderedDictionary { ["a"] = 1, ["b"] = 2 };
            var ab2 = new OrderedDictionary { ["a"] = 1, ["b"] = 2 };
            var ba = new OrderedDictionary { ["b"] = 2, ["a"] = 1 };
            Assert.True(c.AreEqual(ab, ab2));
            Assert.False(c.AreEqual(ab, ba));
        }

        [Fact]
        public void AreEqual_of_a_copy_is_true()
        {
            var value = new Hashtable { ["x"] = new List<object> { 1, "a", new OrderedDictionary { ["k"] = 2 } } };
            Assert.True(DefaultValueCopier.Instance.AreEqual(value, DefaultValueCopier.Instance.Copy(value)));
        }

        [Fact]
        public void AreEqual_beyond_MaxDepth_is_false()
        {
            var c = DefaultValueCopier.Instance;
            object a = 1, b = 1;
            for (int i = 0; i < DefaultValueCopier.MaxDepth + 3; i++)
            {
                a = new List<object> { a };
                b = new List<object> { b };
            }
            Assert.False(c.AreEqual(a, b));
        }

        [Fact]
        public void AreEqual_of_two_equal_multidimensional_arrays_is_true()
        {
            var a = new int[2, 2] { { 1, 2 }, { 3, 4 } };
            var b = new int[2, 2] { { 1, 2 }, { 3, 4 } };
            Assert.True(DefaultValueCopier.Instance.AreEqual(a, b));
        }

        // ---- extending the copier ----

        [Fact]
        public void A_subclass_can_teach_the_copier_a_type_and_its_equality()
        {
            var copier = new BoxCopier();
            var state = new AgnoState(copier);
            var box = new Mutable { Value = 1, Items = new List<int> { 1 } };
            state.Set("box", box);
            box.Value = 2;
            box.Items.Add(2);
            var read = Assert.IsType<Mutable>(state.Get("box"));
            Assert.Equal(1, read.Value);
            Assert.Equal(new List<int> { 1 }, read.Items);
            Assert.True(copier.AreEqual(new Mutable { Value = 3 }, new Mutable { Value = 3 }));
            Assert.False(copier.AreEqual(new Mutable { Value = 3 }, new Mutable { Value = 4 }));
        }

        [Fact]
        public void A_subclass_copy_of_a_self_containing_object_is_refused_as_a_cycle()
        {
            var copier = new BoxCopier();
            var box = new Mutable { Value = 1 };
            box.Inner = box;
            var e = Assert.Throws<ValueRefusedException>(() => new AgnoState(copier).Set("box", box));
            Assert.Contains("cycle", e.Reason);
        }

        private struct Point
        {
            public int X;
            public int Y;
        }

        private sealed class Mutable
        {
            public int Value;
            public List<int> Items = new List<int>();
            public Mutable? Inner;
        }

        private sealed class BoxCopier : DefaultValueCopier
        {
            public int DeepestSeen;

            protected override bool TryCopyOther(object value, CopyScope scope, out object? copy)
            {
                if (value is Mutable m)
                {
                    using (scope.Enter(m))
                    {
                        DeepestSeen = Math.Max(DeepestSeen, scope.Depth);
                        copy = new Mutable
                        {
                            Value = m.Value,
                            Items = (List<int>)CopyNested(m.Items, scope)!,
                            Inner = (Mutable?)CopyNested(m.Inner, scope),
                        };
                        return true;
                    }
                }
                return base.TryCopyOther(value, scope, out copy);
            }

            protected override bool AreEqualOther(object left, object right, int depth) =>
                left is Mutable a && right is Mutable b ? a.Value == b.Value && AreEqual(a.Items, b.Items, depth + 1) : base.AreEqualOther(left, right, depth);
        }

        private sealed class AlwaysReadOnlyList : IList
        {
            public object? this[int index] { get => null; set => throw new NotSupportedException(); }
            public bool IsFixedSize => true;
            public bool IsReadOnly => true;
            public int Count => 0;
            public bool IsSynchronized => false;
            public object SyncRoot => this;
            public int Add(object? value) => throw new NotSupportedException();
            public void Clear() => throw new NotSupportedException();
            public bool Contains(object? value) => false;
            public void CopyTo(Array array, int index) { }
            public IEnumerator GetEnumerator() => Enumerable.Empty<object>().GetEnumerator();
            public int IndexOf(object? value) => -1;
            public void Insert(int index, object? value) => throw new NotSupportedException();
            public void Remove(object? value) => throw new NotSupportedException();
            public void RemoveAt(int index) => throw new NotSupportedException();
        }
    }
}
