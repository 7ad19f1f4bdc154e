using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;

namespace Agno.Core
{
    /// <summary>
    /// The items of a value for Append and Union, and the list they are put back into. As PowerShell's
    /// <c>+=</c> on an array does, a single value is one item and null is none; a dictionary is not a
    /// list of items (it cannot combine), nor is an array of more than one dimension.
    /// </summary>
    internal static class ListItems
    {
        public static List<object?> Of(string reducer, object? value, string whose)
        {
            switch (value)
            {
                case null:
                    return new List<object?>();
                case string _:
                    return new List<object?> { value };
                case IDictionary _:
                    throw new InvalidOperationException(
                        $"{reducer} combines lists, but {whose} is a dictionary ([{value.GetType().Name}]); use the Merge reducer for dictionaries.");
                case Array array when array.Rank != 1:
                    throw new InvalidOperationException(
                        $"{reducer} combines lists, but {whose} is a {array.Rank}-dimensional array; use an array of arrays.");
                case IEnumerable items:
                    return items.Cast<object?>().ToList();
                default:
                    return new List<object?> { value };
            }
        }

        /// <summary>
        /// The first list among the values: the key's collection type is base's, else the first branch's.
        /// A single value has none (null: an object array).
        /// </summary>
        public static object? Template(params object?[] values) => values.FirstOrDefault(v => v is IEnumerable && !(v is string));

        /// <summary>The items as a collection of the template's type; when they do not all fit it, an object array (as PowerShell's += gives).</summary>
        public static object Rebuild(object? template, List<object?> items)
        {
            if (template is Array array)
            {
                var elementType = array.GetType().GetElementType()!;
                if (elementType != typeof(object) && items.All(i => i == null ? !elementType.IsValueType : elementType.IsInstanceOfType(i)))
                {
                    var typed = Array.CreateInstance(elementType, items.Count);
                    for (int i = 0; i < items.Count; i++) typed.SetValue(items[i], i);
                    return typed;
                }
                return items.ToArray();
            }
            if (template is IList && template.GetType().GetConstructor(Type.EmptyTypes) != null)
            {
                try
                {
                    var list = (IList)Activator.CreateInstance(template.GetType())!;
                    foreach (var item in items) list.Add(item);
                    return list;
                }
                catch (Exception e) when (e is ArgumentException || e is NotSupportedException)
                {
                    // an item of another type than the list holds, or a list that cannot grow: an object array, below
                }
            }
            return items.ToArray();
        }
    }
}
