using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.Linq;
using System.Reflection;

namespace Agno.Core
{
    /// <summary>
    /// Copies .NET values deeply and keeps their types: the immutable types of <see cref="ValueTypes"/>
    /// (primitives, strings, dates, Guid, enums...) are shared, its other types (byte[], StringBuilder,
    /// FileInfo...) copied as it says, and arrays, lists and dictionaries rebuilt as the same type (with
    /// the same key comparer) around copies of their items. Refuses reference cycles, nesting deeper than
    /// <see cref="MaxDepth"/>, and reference types it does not know how to copy, naming the path to the
    /// refused part. Subclass it to teach it more types (the PowerShell module does, for PSObject).
    /// </summary>
    public class DefaultValueCopier : IValueCopier
    {
        /// <summary>The deepest nesting of containers a value may have.</summary>
        public const int MaxDepth = 100;

        /// <summary>The shared copier for .NET values (it holds no state).</summary>
        public static DefaultValueCopier Instance { get; } = new DefaultValueCopier();

        /// <inheritdoc/>
        public object? Copy(object? value)
        {
            if (value == null || IsImmutable(value)) return value;
            return CopyNested(value, new CopyScope(MaxDepth));
        }

        /// <inheritdoc/>
        public virtual bool IsImmutable(object? value) => value == null || ValueTypes.IsImmutable(value.GetType());

        /// <summary>Copies a value found inside a container that is being copied.</summary>
        protected object? CopyNested(object? value, CopyScope scope)
        {
            if (value == null || IsImmutable(value)) return value;
            var supported = ValueTypes.Find(value.GetType());
            if (supported != null) return supported.Copy(value);
            switch (value)
            {
                case Array array:
                    using (scope.Enter(array)) return CopyArray(array, scope);
                case IDictionary dictionary:
                    using (scope.Enter(dictionary)) return CopyDictionary(dictionary, scope);
                case IList list:
                    using (scope.Enter(list)) return CopyList(list, scope);
            }
            if (TryCopyOther(value, scope, out var copy)) return copy;
            if (value.GetType().IsValueType)
            {
                throw ValueRefusedException.ForType(value.GetType(),
                    "holds a reference to a mutable object, so a copy would share it. Store its parts instead.");
            }
            throw ValueRefusedException.ForType(value.GetType(),
                "cannot be copied. Store its data as a hashtable, a list or a primitive instead.");
        }

        /// <summary>Copies a value under the property or entry <paramref name="name"/> of the object being copied; a refusal names it in its path.</summary>
        protected object? CopyMember(object? value, string name, CopyScope scope) => CopyAt(value, 0, name, scope);

        /// <summary>Copies a value of a type this class does not know; return false to refuse it.</summary>
        protected virtual bool TryCopyOther(object value, CopyScope scope, out object? copy)
        {
            copy = null;
            return false;
        }

        /// <summary>Copies the item at <paramref name="index"/>, or the entry under <paramref name="key"/> when it is given; a refusal gets that step of its path.</summary>
        private object? CopyAt(object? value, int index, object? key, CopyScope scope)
        {
            try
            {
                return CopyNested(value, scope);
            }
            catch (ValueRefusedException e)
            {
                e.Within(key == null ? ValuePath.Item(index) : ValuePath.Entry(key));
                throw;
            }
        }

        private object CopyArray(Array array, CopyScope scope)
        {
            var elementType = array.GetType().GetElementType()!;
            if (array.Rank != 1)
            {
                if (ValueTypes.IsImmutable(elementType)) return array.Clone();
                throw ValueRefusedException.ForType(array.GetType(),
                    $"is {array.Rank}-dimensional with items that can change, so it cannot be copied. Use an array of arrays.");
            }
            if (ValueTypes.IsImmutable(elementType)) return array.Clone();
            var items = new object?[array.Length];
            for (int i = 0; i < array.Length; i++) items[i] = CopyAt(array.GetValue(i), i, null, scope);
            // A copy of another type than the element type (an object copied as a property bag) needs an object[].
            if (elementType == typeof(object) || !items.All(item => item == null ? !elementType.IsValueType : elementType.IsInstanceOfType(item))) return items;
            var copy = Array.CreateInstance(elementType, array.Length);
            Array.Copy(items, copy, items.Length);
            return copy;
        }

        private object CopyList(IList list, CopyScope scope)
        {
            var copy = (IList)CreateLike(list, list.Count);
            for (int i = 0; i < list.Count; i++) copy.Add(CopyAt(list[i], i, null, scope));
            return copy;
        }

        private object CopyDictionary(IDictionary dictionary, CopyScope scope)
        {
            IDictionary copy;
            if (dictionary is Hashtable table)
            {
                // Clone keeps the comparer (PowerShell's @{} is case-insensitive); the entries are replaced below.
                copy = (Hashtable)table.Clone();
                copy.Clear();
            }
            else if (dictionary is OrderedDictionary ordered)
            {
                copy = new OrderedDictionary(ordered.Count, OrderedComparer(ordered));
            }
            else
            {
                copy = (IDictionary)CreateLike(dictionary, dictionary.Count);
            }
            foreach (DictionaryEntry entry in dictionary)
            {
                copy.Add(CopyNested(entry.Key, scope)!, CopyAt(entry.Value, 0, entry.Key, scope));
            }
            return copy;
        }

        private static readonly FieldInfo? OrderedComparerField =
            typeof(OrderedDictionary).GetField("_comparer", BindingFlags.Instance | BindingFlags.NonPublic)
            ?? typeof(OrderedDictionary).GetField("comparer", BindingFlags.Instance | BindingFlags.NonPublic);

        // OrderedDictionary hides its comparer; PowerShell's [ordered] is case-insensitive and must stay so.
        private static IEqualityComparer? OrderedComparer(OrderedDictionary ordered) =>
            OrderedComparerField?.GetValue(ordered) as IEqualityComparer;

        /// <summary>A new, empty collection of the same type and comparer as <paramref name="source"/>.</summary>
        private static object CreateLike(object source, int capacity)
        {
            var type = source.GetType();
            if (type.IsGenericType)
            {
                var definition = type.GetGenericTypeDefinition();
                if (definition == typeof(List<>)) return Activator.CreateInstance(type, capacity)!;
            }
            // A collection with a key comparer (Dictionary, SortedDictionary, ConcurrentDictionary...) keeps it.
            var comparerProperty = type.GetProperty("Comparer", BindingFlags.Instance | BindingFlags.Public);
            var withComparer = comparerProperty == null ? null
                : type.GetConstructors().FirstOrDefault(c => c.GetParameters().Length == 1 && c.GetParameters()[0].ParameterType.IsAssignableFrom(comparerProperty.PropertyType));
            if (withComparer != null)
            {
                return withComparer.Invoke(new[] { comparerProperty!.GetValue(source) });
            }
            var ctor = type.GetConstructor(Type.EmptyTypes);
            if (ctor == null)
            {
                throw ValueRefusedException.ForType(type,
                    "has no parameterless constructor, so it cannot be rebuilt. Store it as an array, a list or a hashtable.");
            }
            var created = ctor.Invoke(null);
            if (created is IList { IsReadOnly: true } || created is IDictionary { IsReadOnly: true })
            {
                throw ValueRefusedException.ForType(type, "is read-only, so it cannot be rebuilt. Store it as an array, a list or a hashtable.");
            }
            return created;
        }

        /// <inheritdoc/>
        public bool AreEqual(object? left, object? right) => AreEqual(left, right, 0);

        /// <summary>Structural equality for a value nested <paramref name="depth"/> levels down.</summary>
        protected bool AreEqual(object? left, object? right, int depth)
        {
            if (ReferenceEquals(left, right)) return true;
            if (left == null || right == null) return false;
            if (left.GetType() != right.GetType()) return false;
            if (depth > MaxDepth) return false;
            var supported = ValueTypes.Find(left.GetType());
            if (supported != null) return supported.AreEqual(left, right);
            switch (left)
            {
                case IDictionary a:
                    var b = (IDictionary)right;
                    if (a.Count != b.Count) return false;
                    foreach (DictionaryEntry entry in a)
                    {
                        if (!b.Contains(entry.Key) || !AreEqual(entry.Value, b[entry.Key], depth + 1)) return false;
                    }
                    return !(left is OrderedDictionary) || SameKeyOrder(a, b);
                case Array x when x.Rank != 1:
                    var other = (Array)right;
                    if (other.Rank != x.Rank) return false;
                    for (int d = 0; d < x.Rank; d++)
                    {
                        if (x.GetLength(d) != other.GetLength(d)) return false;
                    }
                    var items = other.GetEnumerator();
                    foreach (var item in x)
                    {
                        items.MoveNext();
                        if (!AreEqual(item, items.Current, depth + 1)) return false;
                    }
                    return true;
                case IList x:
                    var y = (IList)right;
                    if (x.Count != y.Count) return false;
                    for (int i = 0; i < x.Count; i++)
                    {
                        if (!AreEqual(x[i], y[i], depth + 1)) return false;
                    }
                    return true;
            }
            return AreEqualOther(left, right, depth);
        }

        /// <summary>Equality of two values of the same type this class does not know.</summary>
        protected virtual bool AreEqualOther(object left, object right, int depth) => left.Equals(right);

        private static bool SameKeyOrder(IDictionary a, IDictionary b)
        {
            var keysB = b.Keys.GetEnumerator();
            foreach (var key in a.Keys)
            {
                if (!keysB.MoveNext() || !Equals(key, keysB.Current)) return false;
            }
            return true;
        }
    }
}
