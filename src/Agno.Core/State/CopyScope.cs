using System;
using System.Collections.Generic;

namespace Agno.Core
{
    /// <summary>
    /// One copy of a whole value in progress: the path of containers being copied, which refuses a
    /// container that contains itself (a cycle) and nesting deeper than <see cref="DefaultValueCopier.MaxDepth"/>
    /// before the stack can overflow; and the objects copied once for the whole value (<see cref="CopyOnce"/>).
    /// </summary>
    public sealed class CopyScope
    {
        private readonly HashSet<object> _ancestors = new HashSet<object>(ReferenceComparer.Instance);
        private Dictionary<object, object?>? _copied;
        private readonly int _maxDepth;

        internal CopyScope(int maxDepth) { _maxDepth = maxDepth; }

        /// <summary>How many containers deep the copy is now; 0 at the value itself.</summary>
        public int Depth { get; private set; }

        /// <summary>
        /// Enters <paramref name="container"/>; dispose the result to leave it. <paramref name="typeName"/>
        /// names its type in a message when its .NET type is not what the user knows it as.
        /// </summary>
        public Entered Enter(object container, string? typeName = null)
        {
            if (Depth >= _maxDepth)
            {
                throw ValueRefusedException.ForPart(
                    $"is nested more than {_maxDepth} levels deep (the limit). Flatten the value or store its parts under separate keys.");
            }
            if (!_ancestors.Add(container))
            {
                throw ValueRefusedException.ForPart(
                    $"refers back to the [{typeName ?? ValueTypes.DisplayName(container.GetType())}] that contains it (a reference cycle). Store a value without cycles.");
            }
            Depth++;
            return new Entered(this, container);
        }

        /// <summary>True while <paramref name="container"/> is being copied: it contains what is being copied now.</summary>
        public bool IsInside(object container) => _ancestors.Contains(container);

        /// <summary>
        /// The copy of <paramref name="source"/> made by <paramref name="copy"/>, made once for the whole
        /// value: where the value holds one object in several places, so does its copy. For objects whose
        /// copying is costly (PowerShell's remoting copies), not for containers.
        /// </summary>
        public object? CopyOnce(object source, Func<object?> copy)
        {
            _copied ??= new Dictionary<object, object?>(ReferenceComparer.Instance);
            if (!_copied.TryGetValue(source, out var made))
            {
                made = copy();
                _copied[source] = made;
            }
            return made;
        }

        /// <summary>Being inside one container of the value (from <see cref="Enter"/>); dispose it to leave.</summary>
        public readonly struct Entered : IDisposable
        {
            private readonly CopyScope _scope;
            private readonly object _container;
            internal Entered(CopyScope scope, object container) { _scope = scope; _container = container; }

            /// <summary>Leaves the container: met again elsewhere in the value, it is no cycle.</summary>
            public void Dispose()
            {
                _scope._ancestors.Remove(_container);
                _scope.Depth--;
            }
        }
    }
}
