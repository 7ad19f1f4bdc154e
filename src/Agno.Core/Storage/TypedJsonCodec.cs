using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Reflection;
using System.Text;
using System.Text.Json;

namespace Agno.Core
{
    /// <summary>
    /// The store's value format: typed JSON over a closed set of types. Every value is an object
    /// <c>{"t": tag, ...}</c>; the same types that survive copying survive a save and a load, and
    /// loading never instantiates a type outside the set (an enum is resolved only among already
    /// loaded assemblies, else loaded as its number). An unknown tag fails the load, naming it.
    /// Subclass it to add tags (the PowerShell module adds PSCustomObject property bags).
    /// </summary>
    public class TypedJsonCodec
    {
        public static TypedJsonCodec Instance { get; } = new TypedJsonCodec();

        private static readonly Dictionary<Type, string> ElementTags = new Dictionary<Type, string>
        {
            [typeof(object)] = "obj", [typeof(string)] = "str", [typeof(bool)] = "bool", [typeof(char)] = "char",
            [typeof(sbyte)] = "i8", [typeof(byte)] = "u8", [typeof(short)] = "i16", [typeof(ushort)] = "u16",
            [typeof(int)] = "i32", [typeof(uint)] = "u32", [typeof(long)] = "i64", [typeof(ulong)] = "u64",
            [typeof(float)] = "f32", [typeof(double)] = "f64", [typeof(decimal)] = "dec", [typeof(DateTime)] = "dt",
            [typeof(DateTimeOffset)] = "dto", [typeof(TimeSpan)] = "ts", [typeof(Guid)] = "guid",
            [typeof(Uri)] = "uri", [typeof(Version)] = "ver", [typeof(BigInteger)] = "bigint", [typeof(byte[])] = "bytes",
            [typeof(Hashtable)] = "ht", [typeof(OrderedDictionary)] = "od", [typeof(ArrayList)] = "alist",
        };
        private static readonly Dictionary<string, Type> ElementTypes = ElementTags.ToDictionary(p => p.Value, p => p.Key);

        private static readonly (string Name, IEqualityComparer Comparer)[] Comparers =
        {
            ("OrdinalIgnoreCase", StringComparer.OrdinalIgnoreCase), ("Ordinal", StringComparer.Ordinal),
            ("CurrentCultureIgnoreCase", StringComparer.CurrentCultureIgnoreCase), ("CurrentCulture", StringComparer.CurrentCulture),
            ("InvariantCultureIgnoreCase", StringComparer.InvariantCultureIgnoreCase), ("InvariantCulture", StringComparer.InvariantCulture),
        };

        public string Serialize(object? value)
        {
            using var stream = new MemoryStream();
            using (var writer = new Utf8JsonWriter(stream))
            {
                Write(writer, value, 0);
            }
            return Encoding.UTF8.GetString(stream.ToArray());
        }

        /// <summary>Reads a value written by <see cref="Serialize"/>; throws <see cref="FormatException"/> naming what is wrong.</summary>
        public object? Deserialize(string json)
        {
            try
            {
                // Each level of a value is a few levels of JSON: allow every value the copier allows.
                using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = DefaultValueCopier.MaxDepth * 4 + 16 });
                return Read(document.RootElement, 0);
            }
            catch (JsonException e)
            {
                throw new FormatException($"The stored value is not valid JSON: {e.Message}", e);
            }
        }

        protected void Write(Utf8JsonWriter w, object? value, int depth)
        {
            if (depth > DefaultValueCopier.MaxDepth) throw new FormatException($"The value is nested more than {DefaultValueCopier.MaxDepth} levels deep.");
            w.WriteStartObject();
            switch (value)
            {
                case null: w.WriteString("t", "null"); break;
                case string s:
                    if (HasLoneSurrogate(s)) throw new FormatException("the string holds a lone UTF-16 surrogate (half a character), which a store cannot keep exactly.");
                    w.WriteString("t", "str");
                    w.WriteString("v", s);
                    break;
                case bool b: w.WriteString("t", "bool"); w.WriteBoolean("v", b); break;
                case char c: w.WriteString("t", "char"); w.WriteString("v", c.ToString()); break;
                case Enum e: WriteEnum(w, e); break;
                case sbyte n: w.WriteString("t", "i8"); w.WriteNumber("v", n); break;
                case byte n: w.WriteString("t", "u8"); w.WriteNumber("v", n); break;
                case short n: w.WriteString("t", "i16"); w.WriteNumber("v", n); break;
                case ushort n: w.WriteString("t", "u16"); w.WriteNumber("v", n); break;
                case int n: w.WriteString("t", "i32"); w.WriteNumber("v", n); break;
                case uint n: w.WriteString("t", "u32"); w.WriteNumber("v", n); break;
                case long n: w.WriteString("t", "i64"); w.WriteNumber("v", n); break;
                case ulong n: w.WriteString("t", "u64"); w.WriteNumber("v", n); break;
                case float n: w.WriteString("t", "f32"); w.WriteString("v", n.ToString("R", CultureInfo.InvariantCulture)); break;
                case double n: w.WriteString("t", "f64"); w.WriteString("v", n.ToString("R", CultureInfo.InvariantCulture)); break;
                case decimal n: w.WriteString("t", "dec"); w.WriteString("v", n.ToString(CultureInfo.InvariantCulture)); break;
                case BigInteger n: w.WriteString("t", "bigint"); w.WriteString("v", n.ToString(CultureInfo.InvariantCulture)); break;
                case DateTime d: w.WriteString("t", "dt"); w.WriteNumber("v", d.Ticks); w.WriteNumber("k", (int)d.Kind); break;
                case DateTimeOffset d: w.WriteString("t", "dto"); w.WriteNumber("v", d.Ticks); w.WriteNumber("o", (long)d.Offset.TotalMinutes); break;
                case TimeSpan ts: w.WriteString("t", "ts"); w.WriteNumber("v", ts.Ticks); break;
                case Guid g: w.WriteString("t", "guid"); w.WriteString("v", g.ToString("D")); break;
                case Uri u: w.WriteString("t", "uri"); w.WriteString("v", u.OriginalString); break;
                case Version v: w.WriteString("t", "ver"); w.WriteString("v", v.ToString()); break;
                case DBNull _: w.WriteString("t", "dbnull"); break;
                case byte[] bytes: w.WriteString("t", "bytes"); w.WriteBase64String("v", bytes); break;
                case Array array when array.Rank == 1: WriteItems(w, "arr", ElementTag(array.GetType().GetElementType()!), array, depth); break;
                case IDictionary dictionary: WriteDictionary(w, dictionary, depth); break;
                case IList list when list.GetType().IsGenericType && list.GetType().GetGenericTypeDefinition() == typeof(List<>):
                    WriteItems(w, "list", ElementTag(list.GetType().GetGenericArguments()[0]), list, depth);
                    break;
                case ArrayList list: WriteItems(w, "alist", null, list, depth); break;
                default:
                    if (!TryWriteOther(w, value, depth))
                    {
                        throw new FormatException($"A value of type [{value.GetType().FullName}] cannot be stored; the store keeps primitives, strings, dates, arrays, lists and dictionaries.");
                    }
                    break;
            }
            w.WriteEndObject();
        }

        private static bool HasLoneSurrogate(string s)
        {
            for (int i = 0; i < s.Length; i++)
            {
                if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i++;
                else if (char.IsSurrogate(s[i])) return true;
            }
            return false;
        }

        /// <summary>Writes the properties (after "t") of a value of a type this class does not know; false to refuse it.</summary>
        protected virtual bool TryWriteOther(Utf8JsonWriter writer, object value, int depth) => false;

        /// <summary>Reads a value whose tag this class does not know; false when the tag is unknown.</summary>
        protected virtual bool TryReadOther(string tag, JsonElement element, int depth, out object? value)
        {
            value = null;
            return false;
        }

        private void WriteItems(Utf8JsonWriter w, string tag, string? elementTag, IEnumerable items, int depth)
        {
            w.WriteString("t", tag);
            if (elementTag != null) w.WriteString("e", elementTag);
            w.WriteStartArray("v");
            foreach (var item in items) Write(w, item, depth + 1);
            w.WriteEndArray();
        }

        private void WriteDictionary(Utf8JsonWriter w, IDictionary dictionary, int depth)
        {
            var type = dictionary.GetType();
            IEqualityComparer? comparer;
            if (dictionary is Hashtable)
            {
                w.WriteString("t", "ht");
                comparer = HashtableComparer.GetValue(dictionary) as IEqualityComparer;
            }
            else if (dictionary is OrderedDictionary)
            {
                w.WriteString("t", "od");
                comparer = OrderedComparer?.GetValue(dictionary) as IEqualityComparer;
            }
            else if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>))
            {
                var args = type.GetGenericArguments();
                w.WriteString("t", "dict");
                w.WriteString("k", ElementTag(args[0]) ?? throw Unstorable(type));
                w.WriteString("e", ElementTag(args[1]) ?? throw Unstorable(type));
                comparer = type.GetProperty("Comparer")!.GetValue(dictionary) as IEqualityComparer;
            }
            else
            {
                throw Unstorable(type);
            }
            var comparerName = Comparers.FirstOrDefault(c => ReferenceEquals(c.Comparer, comparer) || Equals(c.Comparer, comparer)).Name;
            if (comparerName != null) w.WriteString("c", comparerName);
            w.WriteStartArray("v");
            foreach (DictionaryEntry entry in dictionary)
            {
                w.WriteStartArray();
                Write(w, entry.Key, depth + 1);
                Write(w, entry.Value, depth + 1);
                w.WriteEndArray();
            }
            w.WriteEndArray();
        }

        private static void WriteEnum(Utf8JsonWriter w, Enum e)
        {
            var type = e.GetType();
            w.WriteString("t", "enum");
            w.WriteString("type", type.FullName);
            w.WriteString("asm", type.Assembly.GetName().Name);
            w.WriteString("n", e.ToString());
            w.WriteString("v", Convert.ToDecimal(e, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture));
        }

        private static string? ElementTag(Type type) => ElementTags.TryGetValue(type, out var tag) ? tag : null;

        private static FormatException Unstorable(Type type) =>
            new FormatException($"A value of type [{type.FullName}] cannot be stored; the store keeps primitives, strings, dates, arrays, lists and dictionaries.");

        private static readonly PropertyInfo HashtableComparer =
            typeof(Hashtable).GetProperty("EqualityComparer", BindingFlags.Instance | BindingFlags.NonPublic)!;

        private static readonly FieldInfo? OrderedComparer =
            typeof(OrderedDictionary).GetField("_comparer", BindingFlags.Instance | BindingFlags.NonPublic)
            ?? typeof(OrderedDictionary).GetField("comparer", BindingFlags.Instance | BindingFlags.NonPublic);

        protected object? Read(JsonElement e, int depth)
        {
            if (depth > DefaultValueCopier.MaxDepth) throw new FormatException($"The stored value is nested more than {DefaultValueCopier.MaxDepth} levels deep.");
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("t", out var tagElement) || tagElement.ValueKind != JsonValueKind.String)
            {
                throw new FormatException("A stored value has no type tag ('t').");
            }
            var tag = tagElement.GetString()!;
            JsonElement V() => e.TryGetProperty("v", out var v) ? v : throw new FormatException($"A stored '{tag}' value has no 'v'.");
            switch (tag)
            {
                case "null": return null;
                case "str": return V().GetString();
                case "bool": return V().GetBoolean();
                case "char": return V().GetString()![0];
                case "i8": return V().GetSByte();
                case "u8": return V().GetByte();
                case "i16": return V().GetInt16();
                case "u16": return V().GetUInt16();
                case "i32": return V().GetInt32();
                case "u32": return V().GetUInt32();
                case "i64": return V().GetInt64();
                case "u64": return V().GetUInt64();
                case "f32": return float.Parse(V().GetString()!, CultureInfo.InvariantCulture);
                case "f64": return double.Parse(V().GetString()!, CultureInfo.InvariantCulture);
                case "dec": return decimal.Parse(V().GetString()!, CultureInfo.InvariantCulture);
                case "bigint": return BigInteger.Parse(V().GetString()!, CultureInfo.InvariantCulture);
                case "dt": return new DateTime(V().GetInt64(), (DateTimeKind)e.GetProperty("k").GetInt32());
                case "dto": return new DateTimeOffset(V().GetInt64(), TimeSpan.FromMinutes(e.GetProperty("o").GetInt64()));
                case "ts": return new TimeSpan(V().GetInt64());
                case "guid": return Guid.Parse(V().GetString()!);
                case "uri": return new Uri(V().GetString()!, UriKind.RelativeOrAbsolute);
                case "ver": return Version.Parse(V().GetString()!);
                case "dbnull": return DBNull.Value;
                case "bytes": return V().GetBytesFromBase64();
                case "enum": return ReadEnum(e);
                case "arr":
                {
                    var items = V().EnumerateArray().Select(i => Read(i, depth + 1)).ToList();
                    var array = Array.CreateInstance(ElementType(e), items.Count);
                    for (int i = 0; i < items.Count; i++) array.SetValue(items[i], i);
                    return array;
                }
                case "list":
                {
                    var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(ElementType(e)))!;
                    foreach (var item in V().EnumerateArray()) list.Add(Read(item, depth + 1));
                    return list;
                }
                case "alist":
                {
                    var list = new ArrayList();
                    foreach (var item in V().EnumerateArray()) list.Add(Read(item, depth + 1));
                    return list;
                }
                case "ht": return Fill(new Hashtable(ComparerOf(e)), V(), depth);
                case "od": return Fill(new OrderedDictionary(ComparerOf(e)), V(), depth);
                case "dict":
                {
                    var keyType = ElementTypes.TryGetValue(e.GetProperty("k").GetString()!, out var k) ? k : throw new FormatException("A stored dictionary has an unknown key type.");
                    var type = typeof(Dictionary<,>).MakeGenericType(keyType, ElementType(e));
                    var comparer = ComparerOf(e);
                    var dictionary = (IDictionary)(comparer != null && keyType == typeof(string)
                        ? Activator.CreateInstance(type, comparer)!
                        : Activator.CreateInstance(type)!);
                    return Fill(dictionary, V(), depth);
                }
                default:
                    if (TryReadOther(tag, e, depth, out var other)) return other;
                    throw new FormatException($"A stored value has the unknown type tag '{tag}'; it was written by a newer or a different program, and is not loaded.");
            }
        }

        private IDictionary Fill(IDictionary dictionary, JsonElement entries, int depth)
        {
            foreach (var pair in entries.EnumerateArray())
            {
                var key = Read(pair[0], depth + 1) ?? throw new FormatException("A stored dictionary has a null key.");
                dictionary[key] = Read(pair[1], depth + 1);
            }
            return dictionary;
        }

        private static Type ElementType(JsonElement e)
        {
            var tag = e.TryGetProperty("e", out var t) ? t.GetString() : "obj";
            return tag != null && ElementTypes.TryGetValue(tag, out var type) ? type : throw new FormatException($"A stored collection has the unknown element type '{tag}'.");
        }

        private static IEqualityComparer? ComparerOf(JsonElement e)
        {
            if (!e.TryGetProperty("c", out var c)) return null;
            var name = c.GetString();
            var found = Comparers.FirstOrDefault(x => x.Name == name);
            return found.Name != null ? found.Comparer : throw new FormatException($"A stored dictionary has the unknown comparer '{name}'.");
        }

        private static object ReadEnum(JsonElement e)
        {
            var typeName = e.GetProperty("type").GetString();
            var assemblyName = e.GetProperty("asm").GetString();
            var number = decimal.Parse(e.GetProperty("v").GetString()!, CultureInfo.InvariantCulture);
            // Only enums of assemblies already loaded: a load never loads code.
            var type = AppDomain.CurrentDomain.GetAssemblies()
                .Where(a => a.GetName().Name == assemblyName)
                .Select(a => a.GetType(typeName!, throwOnError: false))
                .FirstOrDefault(t => t != null && t.IsEnum);
            if (type == null) return number >= long.MinValue && number <= long.MaxValue ? (object)(long)number : number;
            return Enum.ToObject(type, Convert.ChangeType(number, Enum.GetUnderlyingType(type), CultureInfo.InvariantCulture));
        }
    }
}
