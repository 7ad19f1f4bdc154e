using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Text.Json;

namespace Agno.Core
{
    /// <summary>
    /// The store's value format: typed JSON over the closed set of <see cref="ValueTypes"/>, so that what
    /// survives a copy survives a save. Every value is an object <c>{"t": tag, "v": ...}</c>: a supported
    /// type as its text form, an enum as its type name and number, arrays, lists and dictionaries with
    /// their element types (<see cref="ValueTypes.NameOf"/>) and items. Loading never instantiates a type
    /// outside the set (an enum is resolved only among already loaded assemblies, else loaded as its
    /// number). An unknown tag fails the load, naming it. Values written by earlier versions (a DateTime
    /// or DateTimeOffset as ticks) still load. Subclass it to add tags (the PowerShell module adds
    /// PSCustomObject property bags).
    /// </summary>
    public class TypedJsonCodec
    {
        /// <summary>The shared codec for .NET values (it holds no state).</summary>
        public static TypedJsonCodec Instance { get; } = new TypedJsonCodec();

        private static readonly (string Name, IEqualityComparer Comparer)[] Comparers =
        {
            ("OrdinalIgnoreCase", StringComparer.OrdinalIgnoreCase), ("Ordinal", StringComparer.Ordinal),
            ("CurrentCultureIgnoreCase", StringComparer.CurrentCultureIgnoreCase), ("CurrentCulture", StringComparer.CurrentCulture),
            ("InvariantCultureIgnoreCase", StringComparer.InvariantCultureIgnoreCase), ("InvariantCulture", StringComparer.InvariantCulture),
        };

        /// <summary>
        /// The value as typed JSON. Throws <see cref="FormatException"/> for a value with a part the format
        /// cannot keep, naming the part's path and type.
        /// </summary>
        public string Serialize(object? value)
        {
            using var stream = new MemoryStream();
            try
            {
                using var writer = new Utf8JsonWriter(stream);
                Write(writer, value, 0);
            }
            catch (ValueRefusedException e)
            {
                throw new FormatException(e.Reason, e);
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

        /// <summary>Writes one value (a JSON object); a part it cannot keep is refused with <see cref="ValueRefusedException"/>.</summary>
        protected void Write(Utf8JsonWriter w, object? value, int depth)
        {
            if (depth > DefaultValueCopier.MaxDepth)
            {
                throw ValueRefusedException.ForPart($"is nested more than {DefaultValueCopier.MaxDepth} levels deep (the limit).");
            }
            w.WriteStartObject();
            var supported = value == null ? null : ValueTypes.Find(value.GetType());
            switch (value)
            {
                case null: w.WriteString("t", "null"); break;
                case object known when supported != null: WriteSupported(w, supported, known); break;
                case Enum e: WriteEnum(w, e); break;
                case Array array when array.Rank == 1: WriteItems(w, "arr", ElementName(array.GetType(), array.GetType().GetElementType()!), array, depth); break;
                case IDictionary dictionary: WriteDictionary(w, dictionary, depth); break;
                case IList list when list.GetType().IsGenericType && list.GetType().GetGenericTypeDefinition() == typeof(List<>):
                    WriteItems(w, "list", ElementName(list.GetType(), list.GetType().GetGenericArguments()[0]), list, depth);
                    break;
                case ArrayList list: WriteItems(w, "alist", null, list, depth); break;
                default:
                    if (!TryWriteOther(w, value, depth)) throw Unstorable(value.GetType());
                    break;
            }
            w.WriteEndObject();
        }

        /// <summary>Writes the value under the property or entry <paramref name="name"/> of the value being written; a refusal names it in its path.</summary>
        protected void WriteMember(Utf8JsonWriter w, object? value, string name, int depth) => WriteAt(w, value, depth, 0, name);

        /// <summary>Writes the item at <paramref name="index"/>, or the entry under <paramref name="key"/> when it is given; a refusal gets that step of its path.</summary>
        private void WriteAt(Utf8JsonWriter w, object? value, int depth, int index, object? key)
        {
            try
            {
                Write(w, value, depth);
            }
            catch (ValueRefusedException e)
            {
                e.Within(key == null ? ValuePath.Item(index) : ValuePath.Entry(key));
                throw;
            }
        }

        /// <summary>Writes the properties (after "t") of a value of a type this class does not know; false to refuse it.</summary>
        protected virtual bool TryWriteOther(Utf8JsonWriter writer, object value, int depth) => false;

        /// <summary>Reads a value whose tag this class does not know; false when the tag is unknown.</summary>
        protected virtual bool TryReadOther(string tag, JsonElement element, int depth, out object? value)
        {
            value = null;
            return false;
        }

        /// <summary>The element-type name of a type <see cref="ValueTypes.NameOf"/> does not know; null when it has none.</summary>
        protected virtual string? OtherTypeName(Type type) => null;

        /// <summary>The type of an element-type name <see cref="ValueTypes.TypeOf"/> does not know; null when it is unknown.</summary>
        protected virtual Type? OtherType(string name) => null;

        private static void WriteSupported(Utf8JsonWriter w, SupportedType type, object value)
        {
            w.WriteString("t", type.Tag);
            var text = type.ToText(value);
            if (text == null) return;
            if (type.TextIsLiteral)
            {
                w.WritePropertyName("v");
                w.WriteRawValue(text);
                return;
            }
            if (HasLoneSurrogate(text))
            {
                throw ValueRefusedException.ForType(value.GetType(),
                    "holds half a character (a lone UTF-16 surrogate, as a Substring can leave), which a store cannot keep exactly.");
            }
            w.WriteString("v", text);
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

        private string ElementName(Type collection, Type element) =>
            ValueTypes.NameOf(element, OtherTypeName)
            ?? throw ValueRefusedException.ForType(collection,
                $"holds items of type [{ValueTypes.DisplayName(element)}], which a store cannot name. Use an object[] or a List[object] instead.");

        private void WriteItems(Utf8JsonWriter w, string tag, string? elementName, IEnumerable items, int depth)
        {
            w.WriteString("t", tag);
            if (elementName != null) w.WriteString("e", elementName);
            w.WriteStartArray("v");
            int index = 0;
            foreach (var item in items) WriteAt(w, item, depth + 1, index++, null);
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
                w.WriteString("k", ElementName(type, args[0]));
                w.WriteString("e", ElementName(type, args[1]));
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
                WriteAt(w, entry.Value, depth + 1, 0, entry.Key);
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

        /// <summary>The refusal of a value of <paramref name="type"/>, which the format cannot keep.</summary>
        protected static ValueRefusedException Unstorable(Type type) =>
            ValueRefusedException.ForType(type,
                "a store cannot keep. Store its data in a hashtable or a list instead.");

        private static readonly PropertyInfo HashtableComparer =
            typeof(Hashtable).GetProperty("EqualityComparer", BindingFlags.Instance | BindingFlags.NonPublic)!;

        private static readonly FieldInfo? OrderedComparer =
            typeof(OrderedDictionary).GetField("_comparer", BindingFlags.Instance | BindingFlags.NonPublic)
            ?? typeof(OrderedDictionary).GetField("comparer", BindingFlags.Instance | BindingFlags.NonPublic);

        /// <summary>Reads one value (a JSON object written by <see cref="Write"/>), nested <paramref name="depth"/> levels down: a subclass reads the values inside its own with it.</summary>
        /// <exception cref="FormatException">The JSON is not a value this codec (or the subclass) wrote; the message says what is wrong.</exception>
        protected object? Read(JsonElement e, int depth)
        {
            if (depth > DefaultValueCopier.MaxDepth) throw new FormatException($"The stored value is nested more than {DefaultValueCopier.MaxDepth} levels deep.");
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("t", out var tagElement) || tagElement.ValueKind != JsonValueKind.String)
            {
                throw new FormatException("A stored value has no type tag ('t').");
            }
            var tag = tagElement.GetString()!;
            JsonElement V() => e.TryGetProperty("v", out var v) ? v : throw new FormatException($"A stored '{tag}' value has no 'v'.");
            var supported = ValueTypes.FindTag(tag);
            if (supported != null) return ReadSupported(supported, e);
            switch (tag)
            {
                case "null": return null;
                case "enum": return ReadEnum(e);
                case "arr":
                {
                    var items = V().EnumerateArray().Select(i => Read(i, depth + 1)).ToList();
                    var array = Array.CreateInstance(ElementType(e, "e"), items.Count);
                    for (int i = 0; i < items.Count; i++) array.SetValue(items[i], i);
                    return array;
                }
                case "list":
                {
                    var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(ElementType(e, "e")))!;
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
                    var keyType = ElementType(e, "k");
                    var type = typeof(Dictionary<,>).MakeGenericType(keyType, ElementType(e, "e"));
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

        private static object ReadSupported(SupportedType type, JsonElement e)
        {
            if (!e.TryGetProperty("v", out var v)) return type.FromText(null);
            // Earlier versions wrote a DateTime as ticks and kind, a DateTimeOffset as ticks and offset minutes.
            if (v.ValueKind == JsonValueKind.Number && type.Type == typeof(DateTime))
            {
                return new DateTime(v.GetInt64(), (DateTimeKind)e.GetProperty("k").GetInt32());
            }
            if (v.ValueKind == JsonValueKind.Number && type.Type == typeof(DateTimeOffset))
            {
                return new DateTimeOffset(v.GetInt64(), TimeSpan.FromMinutes(e.GetProperty("o").GetInt64()));
            }
            return type.FromText(v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText());
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

        private Type ElementType(JsonElement e, string property) =>
            ValueTypes.TypeOf(e.TryGetProperty(property, out var name) ? name.GetString() ?? "obj" : "obj", OtherType);

        private static IEqualityComparer? ComparerOf(JsonElement e)
        {
            if (!e.TryGetProperty("c", out var c)) return null;
            var name = c.GetString();
            var found = Comparers.FirstOrDefault(x => x.Name == name);
            return found.Name != null ? found.Comparer : throw new FormatException($"A stored dictionary has the unknown comparer '{name}'.");
        }

        private static object ReadEnum(JsonElement e)
        {
            var number = decimal.Parse(e.GetProperty("v").GetString()!, CultureInfo.InvariantCulture);
            var type = ValueTypes.LoadedEnum(e.GetProperty("type").GetString()!, e.GetProperty("asm").GetString()!);
            if (type == null) return number >= long.MinValue && number <= long.MaxValue ? (object)(long)number : number;
            return Enum.ToObject(type, Convert.ChangeType(number, Enum.GetUnderlyingType(type), CultureInfo.InvariantCulture));
        }
    }
}
