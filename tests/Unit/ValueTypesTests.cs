using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.IO;
using System.Linq;
using System.Net;
using System.Numerics;
using System.Reflection;
using System.Text;
using Agno.Core;
using CsCheck;
using Xunit;

namespace Agno.Tests
{
    /// <summary>
    /// The registry of supported value types (<see cref="ValueTypes"/>): every type it lists survives a
    /// copy and a save as itself, the copier and the codec name element types alike, and no other list
    /// of types exists in the engine.
    /// </summary>
    public class ValueTypesTests
    {
        private enum Color { Red, Green }

        private static readonly TypedJsonCodec Codec = TypedJsonCodec.Instance;
        private static readonly DefaultValueCopier Copier = DefaultValueCopier.Instance;

        private static object? Save(object? value) => Codec.Deserialize(Codec.Serialize(value));

        /// <summary>One sample per supported type; the test below fails when the registry gains a type without one.</summary>
        private static readonly Dictionary<Type, object> Samples = new object[]
        {
            "text 🙂", true, 'c', (sbyte)-8, (byte)8, (short)-16, (ushort)16, -32, 32u, -64L, 64UL, new IntPtr(-7), new UIntPtr(7),
            1.5f, -2.25, 12.30m, BigInteger.Pow(3, 80), new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc).AddTicks(1234567),
            new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.FromHours(9)), TimeSpan.FromMinutes(90.5), Guid.NewGuid(),
            new Uri("https://example.invalid/a?b=c"), new Version(1, 2, 3, 4), DBNull.Value, new byte[] { 1, 2, 3 },
            new StringBuilder("built text"), new FileInfo(Path.Combine(Path.GetTempPath(), "agno-sample.log")),
            new DirectoryInfo(Path.GetTempPath()), IPAddress.Parse("fe80::1%2"),
        }.ToDictionary(v => v.GetType());

        [Fact]
        public void Every_supported_type_comes_back_as_itself_from_a_copy_and_from_a_save()
        {
            Assert.Equal(ValueTypes.All.Select(t => t.Type).OrderBy(t => t.FullName), Samples.Keys.OrderBy(t => t.FullName));
            foreach (var type in ValueTypes.All)
            {
                var sample = Samples[type.Type];
                Assert.Equal(type.IsImmutable, Copier.IsImmutable(sample));
                var copy = Copier.Copy(sample);
                Assert.IsType(type.Type, copy);
                Assert.True(Copier.AreEqual(sample, copy), $"{type.Tag}: the copy differs");
                if (!type.IsImmutable) Assert.NotSame(sample, copy);

                var saved = Save(sample);
                Assert.IsType(type.Type, saved);
                Assert.True(Copier.AreEqual(sample, saved), $"{type.Tag}: the saved value differs: {Codec.Serialize(sample)}");
                Assert.Equal(type, ValueTypes.FindTag(type.Tag));
            }
        }

        [Fact]
        public void The_copier_and_the_codec_use_no_list_of_types_but_the_registry()
        {
            static bool ListsTypes(Type fieldType) =>
                fieldType == typeof(Type[])
                || (fieldType.IsGenericType && fieldType.GetGenericArguments().Contains(typeof(Type)) && typeof(IEnumerable).IsAssignableFrom(fieldType));

            var lists = typeof(AgnoState).Assembly.GetTypes()
                .Where(t => t != typeof(ValueTypes))
                .SelectMany(t => t.GetFields(BindingFlags.Static | BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
                    .Where(f => ListsTypes(f.FieldType))
                    .Select(f => $"{t.FullName}.{f.Name}"))
                .ToList();
            Assert.Empty(lists);
        }

        public static IEnumerable<object[]> Collections() => new[]
        {
            new object[] { new[] { 1, 2 } },
            new object[] { new List<int> { 1, 2 } },
            new object[] { new[] { new Hashtable { ["a"] = 1 } } },
            new object[] { new List<Hashtable> { new Hashtable { ["a"] = 1 } } },
            new object[] { new[] { new List<int> { 1 } } },
            new object[] { new[] { new[] { 1 }, new[] { 2, 3 } } },
            new object[] { new[] { Color.Green } },
            new object[] { new List<Color> { Color.Red } },
            new object[] { new[] { new OrderedDictionary { ["z"] = 1 } } },
            new object[] { new[] { new ArrayList { 1, "a" } } },
            new object[] { new Dictionary<string, List<int>> { ["a"] = new List<int> { 1 } } },
            new object[] { new Dictionary<Color, int[]> { [Color.Green] = new[] { 1 } } },
            new object[] { new[] { new StringBuilder("x") } },
            new object[] { new List<FileInfo> { new FileInfo(Path.Combine(Path.GetTempPath(), "a.log")) } },
            new object[] { new Uri[] { new Uri("http://example.invalid/") } },
        };

        [Theory]
        [MemberData(nameof(Collections))]
        public void A_collection_keeps_its_element_type_in_a_copy_and_in_a_save_alike(object value)
        {
            var copy = Copier.Copy(value);
            var saved = Save(value);
            Assert.Equal(value.GetType(), copy!.GetType());
            Assert.Equal(value.GetType(), saved!.GetType());
            Assert.True(Copier.AreEqual(value, copy));
            Assert.True(Copier.AreEqual(value, saved), Codec.Serialize(value));
        }

        [Fact]
        public void A_collection_of_a_type_a_store_cannot_name_is_refused_by_the_save_naming_its_path_and_type()
        {
            var value = new Hashtable { ["sorted"] = new[] { new SortedDictionary<string, int> { ["a"] = 1 } } };
            Assert.IsType<SortedDictionary<string, int>[]>(((Hashtable)Copier.Copy(value)!)["sorted"]); // memory keeps it
            var error = Assert.Throws<FormatException>(() => Codec.Serialize(value));
            Assert.StartsWith("sorted is a [System.Collections.Generic.SortedDictionary[string,int][]], which holds items of type [System.Collections.Generic.SortedDictionary[string,int]]", error.Message);
        }

        [Fact]
        public void An_element_type_name_is_read_back_as_the_type_it_names_and_an_unknown_enum_as_object()
        {
            foreach (var type in new[] { typeof(int[]), typeof(List<Hashtable>[]), typeof(Dictionary<string, List<Color>>), typeof(byte[][]), typeof(object) })
            {
                Assert.Equal(type, ValueTypes.TypeOf(ValueTypes.NameOf(type)!));
            }
            Assert.Equal(typeof(object), ValueTypes.TypeOf("enum(No.Such.Enum@NoSuchAssembly)"));
            Assert.Null(ValueTypes.NameOf(typeof(SortedList<string, int>)));
            Assert.Throws<FormatException>(() => ValueTypes.TypeOf("System.Diagnostics.Process"));
        }

        // ---- DateTime: the same instant in any time zone ----

        private static string StoredText(object value) =>
            System.Text.Json.JsonDocument.Parse(Codec.Serialize(value)).RootElement.GetProperty("v").GetString()!;

        [Fact]
        public void A_DateTime_is_saved_by_its_kind_a_Local_one_as_the_instant_with_its_offset()
        {
            var utc = new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc);
            Assert.Equal("2024-05-06T07:08:09.0000000Z", StoredText(utc));
            Assert.Equal("2024-05-06T07:08:09.0000000", StoredText(DateTime.SpecifyKind(utc, DateTimeKind.Unspecified)));

            var local = utc.ToLocalTime();
            var offset = TimeZoneInfo.Local.GetUtcOffset(local);
            Assert.Equal(local.ToString("yyyy-MM-ddTHH:mm:ss.fffffff") + (offset < TimeSpan.Zero ? "-" : "+") + offset.Duration().ToString(@"hh\:mm"), StoredText(local));
            var back = Assert.IsType<DateTime>(Save(local));
            Assert.Equal(DateTimeKind.Local, back.Kind);
            Assert.Equal(utc, back.ToUniversalTime());
        }

        [Fact]
        public void A_Local_DateTime_written_in_another_zone_is_read_as_the_same_instant_here()
        {
            var tokyo = Assert.IsType<DateTime>(Codec.Deserialize("{\"t\":\"dt\",\"v\":\"2024-05-06T07:08:09.0000000+09:00\"}"));
            Assert.Equal(DateTimeKind.Local, tokyo.Kind);
            Assert.Equal(new DateTime(2024, 5, 5, 22, 8, 9, DateTimeKind.Utc), tokyo.ToUniversalTime());

            var oldLocalMeanTime = Assert.IsType<DateTime>(Codec.Deserialize("{\"t\":\"dt\",\"v\":\"1850-01-01T00:00:00.0000000+09:18:59\"}"));
            Assert.Equal(new DateTime(1849, 12, 31, 14, 41, 1, DateTimeKind.Utc), oldLocalMeanTime.ToUniversalTime());
        }

        [Fact]
        public void A_Local_DateTime_at_the_ends_of_the_range_comes_back_unchanged()
        {
            foreach (var edge in new[] { DateTime.MinValue, DateTime.MaxValue, DateTime.MinValue.AddHours(3), DateTime.MaxValue.AddHours(-3) })
            {
                var local = DateTime.SpecifyKind(edge, DateTimeKind.Local);
                var back = Assert.IsType<DateTime>(Save(local));
                Assert.Equal(local.Ticks, back.Ticks);
                Assert.Equal(DateTimeKind.Local, back.Kind);
            }
        }

        [Fact]
        public void Values_saved_by_the_previous_format_still_load()
        {
            var ticks = new DateTime(2024, 2, 29, 13, 45, 10, DateTimeKind.Utc).Ticks;
            Assert.Equal(new DateTime(ticks, DateTimeKind.Utc), Codec.Deserialize($"{{\"t\":\"dt\",\"v\":{ticks},\"k\":1}}"));
            Assert.Equal(DateTimeKind.Local, ((DateTime)Codec.Deserialize($"{{\"t\":\"dt\",\"v\":{ticks},\"k\":2}}")!).Kind);
            var offset = Assert.IsType<DateTimeOffset>(Codec.Deserialize($"{{\"t\":\"dto\",\"v\":{ticks},\"o\":540}}"));
            Assert.Equal(TimeSpan.FromHours(9), offset.Offset);
            Assert.Equal(ticks, offset.Ticks);
            Assert.Equal(1, Codec.Deserialize("{\"t\":\"i32\",\"v\":1}"));
            Assert.Equal(new[] { "a" }, Codec.Deserialize("{\"t\":\"arr\",\"e\":\"str\",\"v\":[{\"t\":\"str\",\"v\":\"a\"}]}"));
            Assert.Equal(new Dictionary<string, int> { ["a"] = 1 },
                Codec.Deserialize("{\"t\":\"dict\",\"k\":\"str\",\"e\":\"i32\",\"v\":[[{\"t\":\"str\",\"v\":\"a\"},{\"t\":\"i32\",\"v\":1}]]}"));
        }

        [Fact]
        public void A_DateTimeOffset_keeps_its_offset_and_an_Unspecified_DateTime_its_wall_clock()
        {
            var offset = new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.FromMinutes(-150)).AddTicks(7);
            var back = Assert.IsType<DateTimeOffset>(Save(offset));
            Assert.Equal(offset.Offset, back.Offset);
            Assert.Equal(offset.Ticks, back.Ticks);
            var wall = new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Unspecified);
            var read = Assert.IsType<DateTime>(Save(wall));
            Assert.Equal(DateTimeKind.Unspecified, read.Kind);
            Assert.Equal(wall.Ticks, read.Ticks);
        }

        // ---- refusals name the path and the type as given ----

        private sealed class Opaque { }

        [Fact]
        public void A_refused_part_is_named_by_its_path_and_its_own_type_never_the_containers()
        {
            var value = new List<object> { 1, new Hashtable { ["owner"] = new Dictionary<string, object> { ["odd key"] = new Opaque() } } };
            var e = Assert.Throws<ValueRefusedException>(() => new AgnoState().Set("files", value));
            Assert.Equal("[1].owner['odd key']", e.Path);
            Assert.Equal(
                $"The value for key 'files' cannot be stored: [1].owner['odd key'] is a [{typeof(Opaque).FullName}], which cannot be copied. Store its data as a hashtable, a list or a primitive instead. Nothing was stored.",
                e.Message);
        }

        [Fact]
        public void A_refusal_of_the_value_itself_says_it_and_a_deep_path_is_shortened()
        {
            var root = Assert.Throws<ValueRefusedException>(() => new AgnoState().Set("x", new Opaque()));
            Assert.StartsWith($"The value for key 'x' cannot be stored: it is a [{typeof(Opaque).FullName}]", root.Message);

            object deep = 1;
            for (int i = 0; i <= DefaultValueCopier.MaxDepth; i++) deep = new List<object> { deep };
            var tooDeep = Assert.Throws<ValueRefusedException>(() => new AgnoState().Set("deep", deep));
            Assert.Equal("[0][0][0][0][0][0]…[0][0][0][0][0][0]", tooDeep.Path);
            Assert.Contains("is nested more than 100 levels deep (the limit)", tooDeep.Message);
        }

        [Fact]
        public void A_save_names_the_path_to_what_a_store_cannot_keep()
        {
            var value = new Hashtable { ["list"] = new List<object> { "ok", "half " + '\uD83D' } };
            var e = Assert.Throws<FormatException>(() => Codec.Serialize(value));
            Assert.StartsWith("list[1] is a [string], which holds half a character", e.Message);
            var grid = Assert.Throws<FormatException>(() => Codec.Serialize(new object[] { new int[2, 2] }));
            Assert.StartsWith("[0] is a [int[,]], which a store cannot keep", grid.Message);
        }

        // ---- property: random nested values of every supported type ----

        /// <summary>
        /// Property: a random nested value built of every supported type, enums, typed arrays and lists,
        /// hashtables, ordered and typed dictionaries is copied equal, typed alike and independent, and
        /// comes back from a save equal and typed alike.
        /// </summary>
        [Fact]
        public void A_random_nested_value_survives_a_copy_and_a_save_with_its_types()
        {
            Gen.Int.Sample(seed =>
            {
                var original = new RandomValue(seed).Next(0);
                var twin = new RandomValue(seed).Next(0);

                var copy = Copier.Copy(original);
                AssertSameTypes(original, copy, $"seed {seed}");
                Assert.True(Copier.AreEqual(original, copy), $"seed {seed}: the copy differs");
                Change(copy);
                Assert.True(Copier.AreEqual(twin, original), $"seed {seed}: changing the copy changed the original");

                var json = Codec.Serialize(original);
                var saved = Codec.Deserialize(json);
                AssertSameTypes(original, saved, $"seed {seed}: {json}");
                Assert.True(Copier.AreEqual(original, saved), $"seed {seed}: the saved value differs: {json}");
            }, iter: 300);
        }

        private static void AssertSameTypes(object? expected, object? actual, string where)
        {
            Assert.True(expected?.GetType() == actual?.GetType(), $"{where}: [{expected?.GetType()}] came back as [{actual?.GetType()}]");
            switch (expected)
            {
                case IDictionary e:
                    var a = (IDictionary)actual!;
                    foreach (DictionaryEntry entry in e) AssertSameTypes(entry.Value, a[entry.Key], where);
                    break;
                case IList e when !(expected is byte[]):
                    var l = (IList)actual!;
                    for (int i = 0; i < e.Count; i++) AssertSameTypes(e[i], l[i], where);
                    break;
            }
        }

        /// <summary>Changes every mutable part of a value: what must never reach the value it was copied from.</summary>
        private static void Change(object? value)
        {
            switch (value)
            {
                case StringBuilder b: b.Append("changed"); break;
                case byte[] bytes when bytes.Length > 0: bytes[0]++; break;
                case IPAddress address when address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6: address.ScopeId++; break;
                case IDictionary d when !d.IsReadOnly:
                    foreach (var v in d.Values.Cast<object?>().ToList()) Change(v);
                    d.Clear();
                    break;
                case Array a:
                    foreach (var item in a) Change(item);
                    if (a.Length > 0 && !a.GetType().GetElementType()!.IsValueType) a.SetValue(null, 0);
                    break;
                case IList l:
                    foreach (var item in l.Cast<object?>().ToList()) Change(item);
                    l.Clear();
                    break;
            }
        }

        private sealed class RandomValue
        {
            private readonly Random _random;

            public RandomValue(int seed) { _random = new Random(seed); }

            public object? Next(int depth)
            {
                int pick = _random.Next(depth >= 4 ? ValueTypes.All.Count + 2 : ValueTypes.All.Count + 10);
                if (pick < ValueTypes.All.Count) return Leaf(ValueTypes.All[pick].Type);
                switch (pick - ValueTypes.All.Count)
                {
                    case 0: return null;
                    case 1: return (Color)_random.Next(2);
                    case 2:
                        var table = _random.Next(2) == 0 ? new Hashtable(StringComparer.OrdinalIgnoreCase) : new Hashtable();
                        foreach (var key in Keys()) table[key] = Next(depth + 1);
                        return table;
                    case 3:
                        var ordered = new OrderedDictionary(StringComparer.OrdinalIgnoreCase);
                        foreach (var key in Keys()) ordered[key] = Next(depth + 1);
                        return ordered;
                    case 4: return Fill(new List<object?>(), depth);
                    case 5: return Fill(new ArrayList(), depth);
                    case 6: return Fill(new List<object?>(), depth).ToArray();
                    case 7:
                        var leafType = ValueTypes.All[_random.Next(ValueTypes.All.Count)].Type;
                        var typed = Array.CreateInstance(leafType, _random.Next(0, 4));
                        for (int i = 0; i < typed.Length; i++) typed.SetValue(Leaf(leafType), i);
                        return _random.Next(2) == 0 ? typed : Activator.CreateInstance(typeof(List<>).MakeGenericType(leafType), typed);
                    case 8:
                        var byName = new Dictionary<string, Hashtable>();
                        foreach (var key in Keys()) byName[key] = new Hashtable { ["n"] = Next(depth + 2) };
                        return byName;
                    default: return new[] { new List<int> { _random.Next() } };
                }
            }

            private object Leaf(Type type)
            {
                switch (type.Name)
                {
                    case nameof(String): return Text();
                    case nameof(DateTime):
                        return new DateTime(_random.NextInt64(DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks), (DateTimeKind)_random.Next(3));
                    case nameof(DateTimeOffset):
                        return new DateTimeOffset(_random.NextInt64(DateTime.MinValue.Ticks / 2, DateTime.MaxValue.Ticks / 2), TimeSpan.FromMinutes(_random.Next(-840, 840)));
                    case nameof(StringBuilder): return new StringBuilder(Text());
                    case nameof(Double): return BitConverter.Int64BitsToDouble(_random.NextInt64());
                    case nameof(Int32): return _random.Next(int.MinValue, int.MaxValue);
                    case nameof(Int64): return _random.NextInt64(long.MinValue, long.MaxValue);
                    case nameof(Decimal): return new decimal(_random.Next(), _random.Next(), _random.Next(), _random.Next(2) == 0, (byte)_random.Next(29));
                    case "Byte[]":
                        var bytes = new byte[_random.Next(0, 5)];
                        _random.NextBytes(bytes);
                        return bytes;
                    case nameof(FileInfo): return new FileInfo(Path.Combine(Path.GetTempPath(), Text().Replace("/", "") + ".txt"));
                    case nameof(IPAddress):
                        return _random.Next(2) == 0 ? new IPAddress(_random.NextInt64(0, uint.MaxValue)) : IPAddress.Parse($"fe80::{_random.Next(0xffff):x}%{_random.Next(1, 9)}");
                    default: return Samples[type];
                }
            }

            private string Text()
            {
                const string alphabet = "abcXYZ 09_-é中\t\n\"'\\{}[]";
                var chars = new StringBuilder();
                int length = _random.Next(0, 10);
                while (chars.Length < length) chars.Append(_random.Next(8) == 0 ? "🙂" : alphabet[_random.Next(alphabet.Length)].ToString());
                return chars.ToString();
            }

            private IEnumerable<string> Keys() =>
                Enumerable.Range(0, _random.Next(0, 4)).Select(_ => "k" + _random.Next(50)).Distinct(StringComparer.OrdinalIgnoreCase).ToList();

            private T Fill<T>(T list, int depth) where T : IList
            {
                int count = _random.Next(0, 4);
                for (int i = 0; i < count; i++) list.Add(Next(depth + 1));
                return list;
            }
        }
    }
}
