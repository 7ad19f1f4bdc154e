using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;

namespace Agno.Core
{
    /// <summary>
    /// What a reducer knows of the merge it is part of, and where it reports what a branch changed
    /// inside a key's value. A reducer that reports entries (as <see cref="Reducers.Merge"/> does)
    /// gets conflicts per entry: two branches changing one entry (or one changing an entry and the
    /// other a dictionary above it) to different results is a <see cref="MergeConflict"/> naming the
    /// entry's path, recorded and settled by <see cref="Strategy"/>, as for whole keys.
    /// </summary>
    public sealed class ReducerContext
    {
        private readonly IValueCopier _copier;
        private readonly List<PathChange> _changes;

        internal ReducerContext(string key, MergeStrategy strategy, IValueCopier copier, List<PathChange> changes, CancellationToken cancellationToken)
        {
            Key = key;
            Strategy = strategy;
            CancellationToken = cancellationToken;
            _copier = copier;
            _changes = changes;
        }

        /// <summary>The state key being merged.</summary>
        public string Key { get; }

        /// <summary>The branch whose value is being combined.</summary>
        public string Branch { get; internal set; } = "";

        /// <summary>How conflicting changes are settled: a reducer that reports entries applies it to them.</summary>
        public MergeStrategy Strategy { get; }

        /// <summary>Stops the merge (a timeout or a stop of the node being merged).</summary>
        public CancellationToken CancellationToken { get; }

        /// <summary>This branch set the entry at <paramref name="path"/> (keys from the value down) to <paramref name="value"/>.</summary>
        public void EntryChanged(IReadOnlyList<object> path, object? value) =>
            _changes.Add(PathChange.Set(Branch, CheckPath(path), _copier.Copy(value)));

        /// <summary>This branch removed the entry at <paramref name="path"/>.</summary>
        public void EntryRemoved(IReadOnlyList<object> path) => _changes.Add(PathChange.Removal(Branch, CheckPath(path)));

        private static IReadOnlyList<object> CheckPath(IReadOnlyList<object> path)
        {
            if (path == null) throw new ArgumentNullException(nameof(path));
            if (path.Any(segment => segment == null)) throw new ArgumentException("A path cannot hold a null key.", nameof(path));
            return path.ToArray();
        }
    }
}
