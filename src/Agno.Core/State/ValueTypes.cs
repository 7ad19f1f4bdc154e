using System;
using System.Collections;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Numerics;
using System.Reflection;
using System.Text;

namespace Agno.Core
{
    /// <summary>
    /// The one list of the types a value keeps through a copy and through a save: the value copier
    /// shares the immutable ones and copies the others with it, and the store's codec writes and reads
    /// each under its tag. Besides these, values are built of enums, arrays, <c>List&lt;T&gt;</c>,
    /// <c>ArrayList</c>, <c>Hashtable</c>, <c>OrderedDictionary</c> and <c>Dictionary&lt;K,V&gt;</c>, whose
    /// element types are named by <see cref="NameOf"/>, so that a copy and a save keep them alike.
    /// </summary>
    public static class ValueTypes
    {
        private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

        private static readonly SupportedType[] Entries =
        {
            Immutable<string>("str", s => s, s => s),
            Literal<bool>("bool", b => b ? "true" : "false", bool.Parse),
            Immutable<char>("char", c => c.ToString(), s => s.Length == 1 ? s[0] : throw new FormatException($"A stored 'char' value holds {s.Length} characters.")),
            Literal<sbyte>("i8", n => n.ToString(Invariant), s => sbyte.Parse(s, Invariant)),
            Literal<byte>("u8", n => n.ToString(Invariant), s => byte.Parse(s, Invariant)),
            Literal<short>("i16", n => n.ToString(Invariant), s => short.Parse(s, Invariant)),
            Literal<ushort>("u16", n => n.ToString(Invariant), s => ushort.Parse(s, Invariant)),
            Literal<int>("i32", n => n.ToString(Invariant), s => int.Parse(s, Invariant)),
            Literal<uint>("u32", n => n.ToString(Invariant), s => uint.Parse(s, Invariant)),
            Literal<long>("i64", n => n.ToString(Invariant), s => long.Parse(s, Invariant)),
            Literal<ulong>("u64", n => n.ToString(Invariant), s => ulong.Parse(s, Invariant)),
            Literal<IntPtr>("nint", n => n.ToInt64().ToString(Invariant), s => new IntPtr(long.Parse(s, Invariant))),
            Literal<UIntPtr>("nuint", n => n.ToUInt64().ToString(Invariant), s => new UIntPtr(ulong.Parse(s, Invariant))),
            Immutable<float>("f32", n => n.ToString("R", Invariant), s => float.Parse(s, NumberStyles.Float, Invariant)),
            Immutable<double>("f64", n => n.ToString("R", Invariant), s => double.Parse(s, NumberStyles.Float, Invariant)),
            Immutable<decimal>("dec", n => n.ToString(Invariant), s => decimal.Parse(s, NumberStyles.Number, Invariant)),
            Immutable<BigInteger>("bigint", n => n.ToString(Invariant), s => BigInteger.Parse(s, NumberStyles.Integer, Invariant)),
            Immutable<DateTime>("dt", DateTimeText.Format, DateTimeText.Parse),
            Immutable<DateTimeOffset>("dto", d => d.ToString("o", Invariant), s => DateTimeOffset.ParseExact(s, "o", Invariant, DateTimeStyles.None)),
            Literal<TimeSpan>("ts", t => t.Ticks.ToString(Invariant), s => new TimeSpan(long.Parse(s, Invariant))),
            Immutable<Guid>("guid", g => g.ToString("D"), s => Guid.ParseExact(s, "D")),
            Immutable<Uri>("uri", u => u.OriginalString, s => new Uri(s, UriKind.RelativeOrAbsolute)),
            Immutable<Version>("ver", v => v.ToString(), Version.Parse),
            new SupportedType(typeof(DBNull), "dbnull", null, _ => DBNull.Value),
            Mutable<byte[]>("bytes", Convert.ToBase64String, Convert.FromBase64String, b => (byte[])b.Clone(), (a, b) => a.SequenceEqual(b)),
            Mutable<StringBuilder>("sb", b => b.ToString(), s => new StringBuilder(s), b => new StringBuilder(b.ToString()), (a, b) => a.ToString() == b.ToString()),
            // A FileInfo or DirectoryInfo is its full path: a copy reads the disk afresh when asked.
            Mutable<FileInfo>("file", f => f.FullName, s => new FileInfo(s), f => new FileInfo(f.FullName), (a, b) => a.FullName == b.FullName),
            Mutable<DirectoryInfo>("dir", d => d.FullName, s => new DirectoryInfo(s), d => new DirectoryInfo(d.FullName), (a, b) => a.FullName == b.FullName),
            // IPAddress.ScopeId can be set, so an address is copied, not shared.
            Mutable<IPAddress>("ip", a => a.ToString(), IPAddress.Parse, a => IPAddress.Parse(a.ToString()), (a, b) => a.Equals(b)),
        };

        private static readonly Dictionary<Type, SupportedType> ByType = Entries.ToDictionary(e => e.Type);
        private static readonly Dictionary<string, SupportedType> ByTag = Entries.ToDictionary(e => e.Tag, StringComparer.Ordinal);
        private static readonly ConcurrentDictionary<Type, bool> ImmutableCache = new ConcurrentDictionary<Type, bool>();

        /// <summary>Every supported type, in the order a reader meets them in the docs.</summary>
        public static IReadOnlyList<SupportedType> All => Entries;

        /// <summary>The entry for exactly <paramref name="type"/>, or null.</summary>
        public static SupportedType? Find(Type type) => ByType.TryGetValue(type, out var entry) ? entry : null;

        /// <summary>The entry stored under <paramref name="tag"/>, or null.</summary>
        public static SupportedType? FindTag(string tag) => ByTag.TryGetValue(tag, out var entry) ? entry : null;

        /// <summary>
        /// True when values of <paramref name="type"/> never change, so copies share them: the registry's
        /// immutable types, enums, and structs whose fields are all such, all the way down.
        /// </summary>
        public static bool IsImmutable(Type type) => ImmutableCache.GetOrAdd(type, t => IsImmutableUncached(t, 0));

        private static bool IsImmutableUncached(Type t, int depth)
        {
            if (ByType.TryGetValue(t, out var entry)) return entry.IsImmutable;
            if (t.IsEnum) return true;
            // A struct of immutable fields: copying the box copies it all. The depth bounds self-nesting generics.
            return t.IsValueType && depth < 8
                && t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
                    .All(f => f.FieldType.IsValueType ? IsImmutableUncached(f.FieldType, depth + 1) : f.FieldType == typeof(string));
        }

        // ---- element types: how arrays, lists and dictionaries name the type of what they hold ----

        private const int MaxNameDepth = DefaultValueCopier.MaxDepth;

        /// <summary>
        /// The name under which a store records <paramref name="type"/> as the element, key or value type
        /// of a collection: <c>obj</c>, a tag (<c>i32</c>, <c>ht</c>, <c>od</c>, <c>alist</c>), <c>T[]</c>,
        /// <c>list&lt;T&gt;</c>, <c>dict&lt;K,V&gt;</c> or <c>enum(Full.Name@Assembly)</c>; null when it has
        /// none (such a collection cannot be saved). <paramref name="other"/> names further types (the module's PSObject).
        /// </summary>
        public static string? NameOf(Type type, Func<Type, string?>? other = null) => Name(type, other, 0);

        private static string? Name(Type type, Func<Type, string?>? other, int depth)
        {
            if (depth > MaxNameDepth) return null;
            if (type == typeof(object)) return "obj";
            if (ByType.TryGetValue(type, out var entry)) return entry.Tag;
            if (type == typeof(Hashtable)) return "ht";
            if (type == typeof(OrderedDictionary)) return "od";
            if (type == typeof(ArrayList)) return "alist";
            if (type.IsEnum)
            {
                var name = type.FullName;
                return name == null || name.IndexOfAny(new[] { '[', ',', '@', ')' }) >= 0 ? null : $"enum({name}@{type.Assembly.GetName().Name})";
            }
            if (type.IsArray)
            {
                var item = type.GetArrayRank() == 1 && type == type.GetElementType()!.MakeArrayType() ? Name(type.GetElementType()!, other, depth + 1) : null;
                return item == null ? null : item + "[]";
            }
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
            {
                var item = Name(type.GetGenericArguments()[0], other, depth + 1);
                return item == null ? null : $"list<{item}>";
            }
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>))
            {
                var args = type.GetGenericArguments();
                var key = Name(args[0], other, depth + 1);
                var value = Name(args[1], other, depth + 1);
                return key == null || value == null ? null : $"dict<{key},{value}>";
            }
            return other?.Invoke(type);
        }

        /// <summary>
        /// The type a name written by <see cref="NameOf"/> stands for, built only of supported types; an
        /// enum no loaded assembly defines stands for <c>object</c> (its values load as numbers). Throws
        /// <see cref="FormatException"/> for a name that is not one.
        /// </summary>
        public static Type TypeOf(string name, Func<string, Type?>? other = null) => ParseName(name, other, 0);

        private static Type ParseName(string name, Func<string, Type?>? other, int depth)
        {
            if (depth > MaxNameDepth) throw new FormatException("A stored type name is nested too deeply.");
            if (name == "obj") return typeof(object);
            if (ByTag.TryGetValue(name, out var entry)) return entry.Type;
            switch (name)
            {
                case "ht": return typeof(Hashtable);
                case "od": return typeof(OrderedDictionary);
                case "alist": return typeof(ArrayList);
            }
            if (name.EndsWith("[]", StringComparison.Ordinal))
            {
                return ParseName(name.Substring(0, name.Length - 2), other, depth + 1).MakeArrayType();
            }
            if (name.StartsWith("list<", StringComparison.Ordinal) && name.EndsWith(">", StringComparison.Ordinal))
            {
                return typeof(List<>).MakeGenericType(ParseName(name.Substring(5, name.Length - 6), other, depth + 1));
            }
            if (name.StartsWith("dict<", StringComparison.Ordinal) && name.EndsWith(">", StringComparison.Ordinal))
            {
                var inner = name.Substring(5, name.Length - 6);
                int comma = TopLevelComma(inner);
                if (comma < 0) throw new FormatException($"A stored dictionary type '{name}' does not name its key and value types.");
                return typeof(Dictionary<,>).MakeGenericType(
                    ParseName(inner.Substring(0, comma), other, depth + 1), ParseName(inner.Substring(comma + 1), other, depth + 1));
            }
            if (name.StartsWith("enum(", StringComparison.Ordinal) && name.EndsWith(")", StringComparison.Ordinal))
            {
                var parts = name.Substring(5, name.Length - 6).Split('@');
                return parts.Length == 2 ? LoadedEnum(parts[0], parts[1]) ?? typeof(object) : throw new FormatException($"A stored enum type '{name}' is not Name@Assembly.");
            }
            return other?.Invoke(name) ?? throw new FormatException($"A stored collection has the unknown element type '{name}'.");
        }

        private static int TopLevelComma(string text)
        {
            int nesting = 0;
            for (int i = 0; i < text.Length; i++)
            {
                switch (text[i])
                {
                    case '<': case '(': nesting++; break;
                    case '>': case ')': nesting--; break;
                    case ',' when nesting == 0: return i;
                }
            }
            return -1;
        }

        /// <summary>An enum type of an assembly already loaded: reading a store never loads code.</summary>
        public static Type? LoadedEnum(string typeName, string assemblyName) =>
            AppDomain.CurrentDomain.GetAssemblies()
                .Where(a => a.GetName().Name == assemblyName)
                .Select(a => a.GetType(typeName, throwOnError: false))
                .FirstOrDefault(t => t != null && t.IsEnum);

        // ---- names for messages ----

        private static readonly Dictionary<Type, string> ShortNames = new Dictionary<Type, string>
        {
            [typeof(object)] = "object", [typeof(string)] = "string", [typeof(bool)] = "bool", [typeof(char)] = "char",
            [typeof(sbyte)] = "sbyte", [typeof(byte)] = "byte", [typeof(short)] = "short", [typeof(ushort)] = "ushort",
            [typeof(int)] = "int", [typeof(uint)] = "uint", [typeof(long)] = "long", [typeof(ulong)] = "ulong",
            [typeof(float)] = "float", [typeof(double)] = "double", [typeof(decimal)] = "decimal",
        };

        /// <summary>A type as a PowerShell user writes it: <c>System.Collections.Generic.List[int]</c>, <c>string[]</c>.</summary>
        public static string DisplayName(Type type)
        {
            if (ShortNames.TryGetValue(type, out var name)) return name;
            if (type.IsArray) return DisplayName(type.GetElementType()!) + "[" + new string(',', type.GetArrayRank() - 1) + "]";
            if (!type.IsGenericType) return type.FullName ?? type.Name;
            var definition = type.GetGenericTypeDefinition().FullName ?? type.Name;
            int tick = definition.IndexOf('`');
            return (tick < 0 ? definition : definition.Substring(0, tick)) + "[" + string.Join(",", type.GetGenericArguments().Select(DisplayName)) + "]";
        }

        // ---- entry builders ----

        private static SupportedType Immutable<T>(string tag, Func<T, string> toText, Func<string, T> fromText) where T : notnull =>
            new SupportedType(typeof(T), tag, v => toText((T)v), s => fromText(s));

        private static SupportedType Literal<T>(string tag, Func<T, string> toText, Func<string, T> fromText) where T : notnull =>
            new SupportedType(typeof(T), tag, v => toText((T)v), s => fromText(s), textIsLiteral: true);

        private static SupportedType Mutable<T>(string tag, Func<T, string> toText, Func<string, T> fromText, Func<T, T> copy, Func<T, T, bool> areEqual)
            where T : class =>
            new SupportedType(typeof(T), tag, v => toText((T)v), s => fromText(s), v => copy((T)v), (a, b) => areEqual((T)a, (T)b));
    }
}
