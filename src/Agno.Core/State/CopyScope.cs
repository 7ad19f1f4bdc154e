using System.Collections.Generic;

namespace Agno.Core
{
    /// <summary>
    /// The path of containers being copied: refuses a container that contains itself (a cycle) and
    /// nesting deeper than <see cref="DefaultValueCopier.MaxDepth"/> before the stack can overflow.
    /// </summary>
    public sealed class CopyScope
    {
        private readonly HashSet<object> _ancestors = new HashSet<object>(ReferenceComparer.Instance);
        private readonly int _maxDepth;

        internal CopyScope(int maxDepth) { _maxDepth = maxDepth; }

        public int Depth { get; private set; }

        /// <summary>Enters <paramref name="container"/>; dispose the result to leave it.</summary>
        public Entered Enter(object container)
        {
            if (Depth >= _maxDepth)
            {
                throw new ValueRefusedException(null,
                    $"it is nested more than {_maxDepth} levels deep (the limit). Flatten the value or store its parts under separate keys.");
            }
            if (!_ancestors.Add(container))
            {
                throw new ValueRefusedException(null,
                    $"it contains a reference cycle (a {container.GetType().Name} that contains itself). Store a value without cycles.");
            }
            Depth++;
            return new Entered(this, container);
        }

        public readonly struct Entered : System.IDisposable
        {
            private readonly CopyScope _scope;
            private readonly object _container;
            internal Entered(CopyScope scope, object container) { _scope = scope; _container = container; }
            public void Dispose()
            {
                _scope._ancestors.Remove(_container);
                _scope.Depth--;
            }
        }
    }
}
