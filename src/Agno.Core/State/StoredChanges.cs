using System.Collections.Generic;

namespace Agno.Core
{
    /// <summary>What a store holds that a state's memory does not yet: the changes up to a stored version.</summary>
    public sealed class StoredChanges
    {
        /// <summary>Changes up to <paramref name="version"/>.</summary>
        /// <param name="version">The stored version the changes bring the state to.</param>
        /// <param name="changes">Each changed key's latest value, or its removal (each key once).</param>
        /// <param name="isWhole">True when <paramref name="changes"/> is the whole state (every key, set), to replace what memory holds.</param>
        public StoredChanges(long version, IReadOnlyCollection<StateChange> changes, bool isWhole)
        {
            Version = version;
            Changes = changes;
            IsWhole = isWhole;
        }

        /// <summary>The stored version the changes bring the state to.</summary>
        public long Version { get; }

        /// <summary>Each changed key's latest value (owned by the state from now on), or its removal.</summary>
        public IReadOnlyCollection<StateChange> Changes { get; }

        /// <summary>
        /// True when <see cref="Changes"/> is the whole state rather than the changes since a version
        /// (a store that no longer remembers the removals since that version sends everything).
        /// </summary>
        public bool IsWhole { get; }
    }
}
