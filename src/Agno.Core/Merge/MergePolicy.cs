using System;
using System.Collections.Generic;

namespace Agno.Core
{
    /// <summary>How a parallel node merges its branches: a conflict strategy and per-key reducers.</summary>
    public sealed class MergePolicy
    {
        private readonly Dictionary<string, IStateReducer> _reducers = new Dictionary<string, IStateReducer>(StringComparer.OrdinalIgnoreCase);

        public MergeStrategy Strategy { get; set; } = MergeStrategy.LastWriteWins;

        public IReadOnlyDictionary<string, IStateReducer> Reducers => _reducers;

        /// <summary>Combines <paramref name="key"/> with <paramref name="reducer"/> instead of overwriting it.</summary>
        public MergePolicy WithReducer(string key, IStateReducer reducer)
        {
            _reducers[AgnoState.CheckKey(key)] = reducer ?? throw new ArgumentNullException(nameof(reducer));
            return this;
        }

        internal IStateReducer? ReducerFor(string key) => _reducers.TryGetValue(key, out var r) ? r : null;
    }
}
