using System;
using System.Collections.Generic;
using System.Linq;

namespace Agno.Core
{
    /// <summary>
    /// The built-in reducers, each a three-way merge (base, merged so far, this branch's value), and
    /// what each cannot combine (the merge then fails as a whole, naming key, reducer and branch).
    /// </summary>
    public static class Reducers
    {
        /// <summary>The names <see cref="FromName"/> knows.</summary>
        public static readonly IReadOnlyList<string> BuiltInNames = new[] { "Append", "Sum", "Max", "Min", "Union", "Merge" };

        /// <summary>The built-in reducer called <paramref name="name"/> (case-insensitive); <paramref name="copier"/> decides item equality.</summary>
        public static IStateReducer FromName(string name, IValueCopier? copier = null)
        {
            copier ??= DefaultValueCopier.Instance;
            switch (name?.ToLowerInvariant())
            {
                case "append": return Append(copier);
                case "sum": return Sum();
                case "max": return Max();
                case "min": return Min();
                case "union": return Union(copier);
                case "merge": return Merge(copier);
                default:
                    throw new ArgumentException(
                        $"There is no reducer named '{name}'. Use one of {string.Join(", ", BuiltInNames)}, or a custom reducer.", nameof(name));
            }
        }

        /// <summary>
        /// The items a branch added, appended to what was merged so far: when its list starts with base's
        /// items, the items after them (it read, appended and wrote); otherwise its whole list (it wrote only
        /// its own items). Base @('start'), branches @('start','a') and @('b') give @('start','a','b').
        /// A single value is one item, null none. Cannot combine: a dictionary, an array of more than one dimension.
        /// </summary>
        public static IStateReducer Append(IValueCopier? copier = null)
        {
            copier ??= DefaultValueCopier.Instance;
            return new DelegateReducer("Append", (b, current, incoming, context) =>
            {
                var baseItems = ListItems.Of("Append", b, Whose.Base);
                var merged = ListItems.Of("Append", current, Whose.Current);
                var added = ListItems.Of("Append", incoming, Whose.Incoming);
                if (StartsWith(added, baseItems, copier)) added.RemoveRange(0, baseItems.Count);
                merged.AddRange(added);
                return ListItems.Rebuild(ListItems.Template(b, current, incoming), merged);
            });
        }

        /// <summary>
        /// Each branch's difference from base, added to what was merged so far, with PowerShell's widening:
        /// base 10, branches 12.5 and 11 give 13.5. Null counts as 0. Cannot combine: a value that is not a
        /// number; a result beyond [decimal]'s range, or a double beyond it mixed with a decimal.
        /// </summary>
        public static IStateReducer Sum() => new DelegateReducer("Sum", (b, current, incoming, context) => Numbers.SumDifference(b, current, incoming));

        /// <summary>The greatest of base and the branches' values (null is no value). Cannot combine: values with no order between them.</summary>
        public static IStateReducer Max() => new DelegateReducer("Max", (b, current, incoming, context) => Numbers.Extreme(b, current, incoming, greatest: true));

        /// <summary>The least of base and the branches' values (null is no value). Cannot combine: values with no order between them.</summary>
        public static IStateReducer Min() => new DelegateReducer("Min", (b, current, incoming, context) => Numbers.Extreme(b, current, incoming, greatest: false));

        /// <summary>
        /// What was merged so far (base's items first), then each of this branch's items it does not hold yet,
        /// once. A branch may write the whole list or only its own items. Cannot combine: as Append.
        /// </summary>
        public static IStateReducer Union(IValueCopier? copier = null)
        {
            copier ??= DefaultValueCopier.Instance;
            return new DelegateReducer("Union", (b, current, incoming, context) =>
            {
                var merged = ListItems.Of("Union", current, Whose.Current);
                foreach (var item in ListItems.Of("Union", incoming, Whose.Incoming))
                {
                    if (!merged.Any(m => copier.AreEqual(m, item))) merged.Add(item);
                }
                return ListItems.Rebuild(ListItems.Template(b, current, incoming), merged);
            });
        }

        /// <summary>
        /// Dictionaries, three-way at every depth: the entries each branch added, changed or removed against
        /// base. Two branches changing one entry differently is a conflict on its path (<c>Config.Smtp.Host</c>),
        /// settled by the strategy. Cannot combine: a value that is not a dictionary (null is none).
        /// </summary>
        public static IStateReducer Merge(IValueCopier? copier = null)
        {
            copier ??= DefaultValueCopier.Instance;
            return new DelegateReducer("Merge", (b, current, incoming, context) => DictionaryMerge.Reduce(b, current, incoming, context, copier));
        }

        /// <summary>A reducer from a delegate <c>(base, current, incoming) => merged</c>.</summary>
        public static IStateReducer Custom(string name, Func<object?, object?, object?, object?> reduce)
        {
            if (reduce == null) throw new ArgumentNullException(nameof(reduce));
            return new DelegateReducer(name, (b, current, incoming, context) => reduce(b, current, incoming));
        }

        private static bool StartsWith(List<object?> items, List<object?> prefix, IValueCopier copier)
        {
            if (items.Count < prefix.Count) return false;
            for (int i = 0; i < prefix.Count; i++)
            {
                if (!copier.AreEqual(items[i], prefix[i])) return false;
            }
            return true;
        }

        private sealed class DelegateReducer : IStateReducer
        {
            private readonly Func<object?, object?, object?, ReducerContext, object?> _reduce;

            public DelegateReducer(string name, Func<object?, object?, object?, ReducerContext, object?> reduce)
            {
                Name = string.IsNullOrWhiteSpace(name) ? "Custom" : name;
                _reduce = reduce;
            }

            public string Name { get; }
            public object? Reduce(object? baseValue, object? current, object? incoming, ReducerContext context) => _reduce(baseValue, current, incoming, context);
            public override string ToString() => Name;
        }
    }
}
