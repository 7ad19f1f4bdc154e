using System;
using System.Collections.Generic;

namespace Agno.Core
{
    /// <summary>
    /// How changes to the same keys are merged: a parallel node's branches, and a stored session's commit with
    /// what others committed meanwhile (<see cref="AgnoSession.MergePolicy"/>). A conflict strategy and per-key reducers.
    /// </summary>
    public sealed class MergePolicy
    {
        private readonly Dictionary<string, IStateReducer> _reducers = new Dictionary<string, IStateReducer>(StringComparer.OrdinalIgnoreCase);

        /// <summary>What happens when changes to one key differ; <see cref="MergeStrategy.LastWriteWins"/> unless set.</summary>
        public MergeStrategy Strategy { get; set; } = MergeStrategy.LastWriteWins;

        /// <summary>The reducers by key (case-insensitive), added with <see cref="WithReducer"/>: a key with one is combined, not overwritten.</summary>
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
