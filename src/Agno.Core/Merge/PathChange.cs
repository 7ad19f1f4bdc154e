using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace Agno.Core
{
    /// <summary>
    /// One branch's change at a path inside a key (the empty path is the whole key): a set, a
    /// removal, or a value a reducer combined without reporting entries (it conflicts only with a
    /// removal of the whole key).
    /// </summary>
    internal sealed class PathChange
    {
        public enum ChangeKind { Set, Removal, Combined }

        private static readonly object[] Root = Array.Empty<object>();

        private PathChange(string branch, IReadOnlyList<object> path, ChangeKind kind, object? value)
        {
            Branch = branch;
            Path = path;
            Kind = kind;
            Value = value;
        }

        public static PathChange Set(string branch, IReadOnlyList<object> path, object? value) => new PathChange(branch, path, ChangeKind.Set, value);
        public static PathChange Removal(string branch, IReadOnlyList<object> path) => new PathChange(branch, path, ChangeKind.Removal, null);
        public static PathChange Combined(string branch) => new PathChange(branch, Root, ChangeKind.Combined, null);
        public static PathChange OfKey(string branch, StateChange change) =>
            change.IsRemoval ? Removal(branch, Root) : Set(branch, Root, change.Value);

        public string Branch { get; }
        public IReadOnlyList<object> Path { get; }
        public ChangeKind Kind { get; }
        public object? Value { get; }

        /// <summary>Path segments compare as PowerShell's hashtable keys do: strings case-insensitively.</summary>
        public static readonly IEqualityComparer<object> SegmentComparer = new SegmentEquality();

        /// <summary>The path as a PowerShell user would write it: <c>Config.Smtp.Host</c>, <c>Config['a.b']</c>, <c>Ports[443]</c>.</summary>
        public static string Display(string key, IReadOnlyList<object> path)
        {
            var text = new StringBuilder(key);
            foreach (var segment in path)
            {
                if (segment is string name)
                {
                    if (name.Length > 0 && name.All(c => char.IsLetterOrDigit(c) || c == '_' || c == '-')) text.Append('.').Append(name);
                    else text.Append("['").Append(name.Replace("'", "''")).Append("']");
                }
                else
                {
                    text.Append('[').Append(Convert.ToString(segment, CultureInfo.InvariantCulture)).Append(']');
                }
            }
            return text.ToString();
        }

        private sealed class SegmentEquality : IEqualityComparer<object>
        {
            public new bool Equals(object? x, object? y) =>
                x is string a && y is string b ? string.Equals(a, b, StringComparison.OrdinalIgnoreCase) : object.Equals(x, y);

            public int GetHashCode(object obj) =>
                obj is string s ? StringComparer.OrdinalIgnoreCase.GetHashCode(s) : obj.GetHashCode();
        }
    }
}
