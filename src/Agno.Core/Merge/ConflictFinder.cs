using System;
using System.Collections.Generic;
using System.Linq;

namespace Agno.Core
{
    /// <summary>
    /// Finds the conflicts among the changes branches made to one key. Two changes of different
    /// branches clash when their paths are the same and their results differ, or when one path is
    /// above the other (a branch replaced or removed a dictionary another changed inside); a value
    /// combined by a reducer clashes only with a removal of the key. Clashing changes, taken
    /// transitively, form one conflict: it names the highest path, every branch in it in branch
    /// order, and the winner under the strategy. A whole key is the case of the empty path.
    /// </summary>
    internal static class ConflictFinder
    {
        private sealed class Node
        {
            public readonly Dictionary<object, Node> Children = new Dictionary<object, Node>(PathChange.SegmentComparer);
            public readonly List<int> Here = new List<int>();
        }

        /// <summary>The conflicts among <paramref name="changes"/> (in branch order) to <paramref name="key"/>.</summary>
        public static IEnumerable<MergeConflict> Find(string key, IReadOnlyList<PathChange> changes, MergeStrategy strategy, IValueCopier copier)
        {
            if (changes.Count < 2) return Enumerable.Empty<MergeConflict>();
            var root = new Node();
            for (int i = 0; i < changes.Count; i++)
            {
                var node = root;
                foreach (var segment in changes[i].Path)
                {
                    if (!node.Children.TryGetValue(segment, out var child)) node.Children[segment] = child = new Node();
                    node = child;
                }
                node.Here.Add(i);
            }
            var groups = new DisjointSets(changes.Count);
            Link(root, changes, groups, copier);

            var conflicts = new List<MergeConflict>();
            foreach (var members in Enumerable.Range(0, changes.Count).GroupBy(groups.Find).Where(g => g.Count() > 1))
            {
                var inOrder = members.OrderBy(i => i).ToList();
                var branches = inOrder.Select(i => changes[i].Branch).Distinct().ToList();
                var highest = inOrder.Select(i => changes[i].Path).OrderBy(p => p.Count).First();
                string? winner = strategy switch
                {
                    MergeStrategy.LastWriteWins => branches[branches.Count - 1],
                    MergeStrategy.FirstWriteWins => branches[0],
                    _ => null,
                };
                conflicts.Add(new MergeConflict(key, branches, winner, strategy, PathChange.Display(key, highest)));
            }
            // By path: a dictionary's entries come in no fixed order, the report does.
            return conflicts.OrderBy(c => c.Path, StringComparer.OrdinalIgnoreCase).ThenBy(c => c.Path, StringComparer.Ordinal);
        }

        /// <summary>Joins the clashing changes at and below <paramref name="node"/>; returns every change below and at it.</summary>
        private static List<int> Link(Node node, IReadOnlyList<PathChange> changes, DisjointSets groups, IValueCopier copier)
        {
            var below = new List<int>();
            foreach (var child in node.Children.Values) below.AddRange(Link(child, changes, groups, copier));

            var here = node.Here;
            for (int a = 0; a < here.Count; a++)
            {
                var x = changes[here[a]];
                for (int b = a + 1; b < here.Count; b++)
                {
                    var y = changes[here[b]];
                    if (x.Branch != y.Branch && Differ(x, y, copier)) groups.Union(here[a], here[b]);
                }
                if (x.Kind == PathChange.ChangeKind.Combined) continue;
                foreach (var d in below)
                {
                    if (changes[d].Branch != x.Branch) groups.Union(here[a], d);
                }
            }
            below.AddRange(here);
            return below;
        }

        private static bool Differ(PathChange x, PathChange y, IValueCopier copier)
        {
            if (x.Kind == PathChange.ChangeKind.Combined || y.Kind == PathChange.ChangeKind.Combined)
            {
                return x.Kind == PathChange.ChangeKind.Removal || y.Kind == PathChange.ChangeKind.Removal;
            }
            if (x.Kind != y.Kind) return true;
            return x.Kind == PathChange.ChangeKind.Set && !copier.AreEqual(x.Value, y.Value);
        }

        private sealed class DisjointSets
        {
            private readonly int[] _parent;

            public DisjointSets(int count) { _parent = Enumerable.Range(0, count).ToArray(); }

            public int Find(int i)
            {
                while (_parent[i] != i) i = _parent[i] = _parent[_parent[i]];
                return i;
            }

            public void Union(int a, int b)
            {
                int ra = Find(a), rb = Find(b);
                if (ra != rb) _parent[System.Math.Max(ra, rb)] = System.Math.Min(ra, rb);
            }
        }
    }
}
