using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Agno.Core
{
    /// <summary>
    /// The path from a value's root to a part of it, as messages show it: <c>[0]</c> an item of an
    /// array or list, <c>.Name</c> a property or a dictionary entry, <c>['a key']</c> an entry whose
    /// key is not a plain name (PowerShell reads each of them the same way: <c>$v[0].Name['a key']</c>).
    /// A path that starts with a name drops its leading dot: <c>Smtp.Host</c>.
    /// </summary>
    internal static class ValuePath
    {
        private const int ShownSegments = 12;

        public static string Item(int index) => "[" + index.ToString(CultureInfo.InvariantCulture) + "]";

        public static string Member(string name) =>
            IsPlainName(name) ? "." + name : "['" + name.Replace("'", "''") + "']";

        public static string Entry(object key) => key is string name
            ? Member(name)
            : "[" + System.Convert.ToString(key, CultureInfo.InvariantCulture) + "]";

        /// <summary>The segments as one path; a long one keeps its first and last segments around an ellipsis.</summary>
        public static string Join(IReadOnlyList<string> segments)
        {
            var shown = segments.Count <= ShownSegments
                ? string.Concat(segments)
                : string.Concat(segments.Take(ShownSegments / 2)) + "…" + string.Concat(segments.Skip(segments.Count - ShownSegments / 2));
            return shown.StartsWith(".") ? shown.Substring(1) : shown;
        }

        private static bool IsPlainName(string name) =>
            name.Length > 0 && (char.IsLetter(name[0]) || name[0] == '_') && name.All(c => char.IsLetterOrDigit(c) || c == '_' || c == '-');
    }
}
