using System;
using System.Collections;
using System.Collections.Generic;

namespace Agno.Core
{
    /// <summary>
    /// The Merge reducer: a three-way merge of dictionaries at every depth. A branch's changes are the
    /// entries it added, changed or removed against base, found by walking down while both sides
    /// hold a dictionary (a list or other value is compared whole). Each change is reported to the
    /// context (so two branches changing one entry differently is a conflict on its path) and applied
    /// to what was merged so far: under LastWriteWins (and Fail) always, a later change overwriting an
    /// earlier one; under FirstWriteWins only when no earlier branch changed that entry, one above it,
    /// or one inside it. Nested dictionaries keep their type and key comparer.
    /// </summary>
    internal static class DictionaryMerge
    {
        private readonly struct Change
        {
            public Change(object[] path, bool removal, object? value)
            {
                Path = path;
                Removal = removal;
                Value = value;
            }

            public readonly object[] Path;
            public readonly bool Removal;
            public readonly object? Value;
        }

        public static object? Reduce(object? baseValue, object? current, object? incoming, ReducerContext context, IValueCopier copier)
        {
            var baseMap = AsDictionary(baseValue, Whose.Base);
            var root = AsDictionary(current, Whose.Current);
            var incomingMap = AsDictionary(incoming, Whose.Incoming);

            var changes = new List<Change>();
            if (incomingMap == null) changes.Add(new Change(Array.Empty<object>(), false, null));
            else Diff(baseMap, incomingMap, new List<object>(), changes, copier, context);

            // With nothing merged yet (no base, or an earlier branch removed the key) this branch's dictionary is
            // taken whole; under FirstWriteWins only when there was no base, as an earlier removal wins there.
            bool takeWhole = root == null && incomingMap != null && (baseMap == null || context.Strategy != MergeStrategy.FirstWriteWins);
            object? merged = takeWhole ? incomingMap : root;
            foreach (var change in changes)
            {
                if (change.Removal) context.EntryRemoved(change.Path);
                else context.EntryChanged(change.Path, change.Value);
                if (context.Strategy == MergeStrategy.FirstWriteWins && ChangedEarlier(baseMap, merged, change.Path, copier)) continue;
                if (change.Path.Length == 0) merged = null; // the branch set the key to null
                else Apply((IDictionary)merged!, change, incomingMap!);
            }
            return merged;
        }

        private static IDictionary? AsDictionary(object? value, string whose) => value switch
        {
            null => null,
            IDictionary d => d,
            _ => throw new InvalidOperationException(
                $"Merge combines dictionaries, but {whose} is a [{value.GetType().Name}]. Give the key another reducer, or store a hashtable."),
        };

        /// <summary>What <paramref name="incoming"/> changed against <paramref name="baseMap"/> (none: every entry is new).</summary>
        private static void Diff(IDictionary? baseMap, IDictionary incoming, List<object> prefix, List<Change> changes, IValueCopier copier, ReducerContext context)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            foreach (DictionaryEntry entry in incoming)
            {
                prefix.Add(entry.Key);
                if (baseMap != null && baseMap.Contains(entry.Key))
                {
                    var before = baseMap[entry.Key];
                    if (before is IDictionary nestedBase && entry.Value is IDictionary nestedIncoming)
                    {
                        Diff(nestedBase, nestedIncoming, prefix, changes, copier, context);
                    }
                    else if (!copier.AreEqual(before, entry.Value))
                    {
                        changes.Add(new Change(prefix.ToArray(), false, entry.Value));
                    }
                }
                else
                {
                    changes.Add(new Change(prefix.ToArray(), false, entry.Value));
                }
                prefix.RemoveAt(prefix.Count - 1);
            }
            if (baseMap == null) return;
            foreach (DictionaryEntry entry in baseMap)
            {
                if (incoming.Contains(entry.Key)) continue;
                prefix.Add(entry.Key);
                changes.Add(new Change(prefix.ToArray(), true, null));
                prefix.RemoveAt(prefix.Count - 1);
            }
        }

        /// <summary>
        /// Whether an earlier branch changed the entry at <paramref name="path"/>, one inside it, or one above
        /// it: merged and base differ there, or a dictionary on the way down is gone. (Under FirstWriteWins
        /// what was merged holds only changes that were kept, so this is exactly "an earlier change was kept".)
        /// </summary>
        private static bool ChangedEarlier(IDictionary? baseMap, object? merged, object[] path, IValueCopier copier)
        {
            if (merged == null) return baseMap != null; // the key itself was cleared by an earlier branch
            object? before = baseMap;
            object? now = merged;
            foreach (var segment in path)
            {
                if (!(now is IDictionary nowMap)) return true;
                var beforeMap = before as IDictionary;
                bool inBefore = beforeMap != null && beforeMap.Contains(segment);
                bool inNow = nowMap.Contains(segment);
                if (inBefore != inNow) return true;
                if (!inNow) return false;
                before = beforeMap![segment];
                now = nowMap[segment];
            }
            return !copier.AreEqual(before, now);
        }

        /// <summary>
        /// Applies one change to what was merged so far. Where a dictionary on the way down is gone (an earlier
        /// branch removed or replaced it), this branch's dictionary there is taken whole.
        /// </summary>
        private static void Apply(IDictionary merged, Change change, IDictionary incoming)
        {
            var path = change.Path;
            var node = merged;
            var incomingNode = incoming;
            for (int depth = 0; depth < path.Length - 1; depth++)
            {
                incomingNode = (IDictionary)incomingNode[path[depth]]!;
                if (!(node.Contains(path[depth]) && node[path[depth]] is IDictionary next))
                {
                    node[path[depth]] = incomingNode;
                    return;
                }
                node = next;
            }
            var last = path[path.Length - 1];
            if (change.Removal) node.Remove(last);
            else node[last] = change.Value;
        }
    }
}
