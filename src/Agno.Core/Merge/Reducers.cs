using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;

namespace Agno.Core
{
    /// <summary>
    /// The built-in reducers, each a three-way merge (base, merged so far, this branch's value):
    /// Append, Sum, Max, Min, Union and Merge, as the product brief defines them.
    /// </summary>
    public static class Reducers
    {
        public static readonly IReadOnlyList<string> BuiltInNames = new[] { "Append", "Sum", "Max", "Min", "Union", "Merge" };

        /// <summary>The built-in reducer called <paramref name="name"/> (case-insensitive); <paramref name="copier"/> decides item equality.</summary>
        public static IStateReducer FromName(string name, IValueCopier? copier = null)
        {
            copier ??= DefaultValueCopier.Instance;
            switch (name?.ToLowerInvariant())
            {
                case "append": return Append();
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

        /// <summary>The items a branch added after base's items, appended to what was merged so far.</summary>
        public static IStateReducer Append() => Custom("Append", (b, current, incoming) =>
        {
            var baseItems = Items(b);
            var merged = Items(current);
            merged.AddRange(Items(incoming).Skip(baseItems.Count));
            return Rebuild(incoming ?? current, merged);
        });

        /// <summary>Each branch's difference from base, added to what was merged so far: base 10, branches 11 and 15 give 16.</summary>
        public static IStateReducer Sum() => Custom("Sum", Numbers.SumDifference);

        /// <summary>The greater of what was merged so far and this branch's value.</summary>
        public static IStateReducer Max() => Custom("Max", (b, current, incoming) => Pick(current, incoming, c => c > 0));

        /// <summary>The lesser of what was merged so far and this branch's value.</summary>
        public static IStateReducer Min() => Custom("Min", (b, current, incoming) => Pick(current, incoming, c => c < 0));

        /// <summary>What was merged so far, plus this branch's items it does not already hold.</summary>
        public static IStateReducer Union(IValueCopier? copier = null)
        {
            copier ??= DefaultValueCopier.Instance;
            return Custom("Union", (b, current, incoming) =>
            {
                var merged = new List<object?>();
                foreach (var item in Items(current).Concat(Items(incoming)))
                {
                    if (!merged.Any(m => copier.AreEqual(m, item))) merged.Add(item);
                }
                return Rebuild(incoming ?? current, merged);
            });
        }

        /// <summary>Dictionaries: the entries this branch added, changed or removed against base, applied to what was merged so far.</summary>
        public static IStateReducer Merge(IValueCopier? copier = null)
        {
            copier ??= DefaultValueCopier.Instance;
            return Custom("Merge", (b, current, incoming) =>
            {
                var baseMap = AsDictionary(b, "base");
                var incomingMap = AsDictionary(incoming, "incoming");
                var merged = AsDictionary(current, "current") ?? (IDictionary)copier.Copy(incomingMap)!;
                if (incomingMap == null) return merged;
                foreach (DictionaryEntry entry in incomingMap)
                {
                    bool changed = baseMap == null || !baseMap.Contains(entry.Key) || !copier.AreEqual(baseMap[entry.Key], entry.Value);
                    if (changed) merged[entry.Key] = entry.Value;
                }
                if (baseMap != null)
                {
                    foreach (var key in baseMap.Keys.Cast<object>().Where(k => !incomingMap.Contains(k)).ToList())
                    {
                        merged.Remove(key);
                    }
                }
                return merged;
            });
        }

        /// <summary>A reducer from a delegate <c>(base, current, incoming) => merged</c>.</summary>
        public static IStateReducer Custom(string name, Func<object?, object?, object?, object?> reduce) => new DelegateReducer(name, reduce);

        private static object? Pick(object? current, object? incoming, Func<int, bool> incomingWins)
        {
            if (current == null) return incoming;
            if (incoming == null) return current;
            return incomingWins(Numbers.Compare(incoming, current)) ? incoming : current;
        }

        private static IDictionary? AsDictionary(object? value, string role) => value switch
        {
            null => null,
            IDictionary d => d,
            _ => throw new InvalidOperationException($"Merge combines dictionaries, but the {role} value is [{value.GetType().Name}]."),
        };

        /// <summary>A collection's items; a single value counts as one item, null as none.</summary>
        private static List<object?> Items(object? value)
        {
            if (value == null) return new List<object?>();
            if (value is string || value is IDictionary || !(value is IEnumerable items)) return new List<object?> { value };
            return items.Cast<object?>().ToList();
        }

        /// <summary>The items as a collection of the template's type (an array keeps its element type where it can).</summary>
        private static object Rebuild(object? template, List<object?> items)
        {
            if (template is Array array)
            {
                var elementType = array.GetType().GetElementType()!;
                if (items.All(i => i == null ? !elementType.IsValueType : elementType.IsInstanceOfType(i)))
                {
                    var typed = Array.CreateInstance(elementType, items.Count);
                    for (int i = 0; i < items.Count; i++) typed.SetValue(items[i], i);
                    return typed;
                }
                return items.ToArray();
            }
            if (template is IList && !(template is Array) && template.GetType().GetConstructor(Type.EmptyTypes) != null)
            {
                try
                {
                    var list = (IList)Activator.CreateInstance(template.GetType())!;
                    foreach (var item in items) list.Add(item);
                    return list;
                }
                catch (ArgumentException)
                {
                    // an item of another type than the list holds: fall back to an object array
                }
            }
            return items.ToArray();
        }

        private sealed class DelegateReducer : IStateReducer
        {
            private readonly Func<object?, object?, object?, object?> _reduce;
            public DelegateReducer(string name, Func<object?, object?, object?, object?> reduce)
            {
                Name = string.IsNullOrWhiteSpace(name) ? "Custom" : name;
                _reduce = reduce ?? throw new ArgumentNullException(nameof(reduce));
            }
            public string Name { get; }
            public object? Reduce(object? baseValue, object? current, object? incoming) => _reduce(baseValue, current, incoming);
            public override string ToString() => Name;
        }
    }
}
