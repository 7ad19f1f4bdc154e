using System;
using System.Collections.Generic;
using System.Linq;
using Agno.Core;
using Xunit;

namespace Agno.Tests
{
    public class ForkTests
    {
        private static AgnoState StateWith(params (string Key, object? Value)[] entries)
        {
            var state = new AgnoState();
            foreach (var (k, v) in entries) state.Set(k, v);
            return state;
        }

        [Fact]
        public void Fork_sees_the_parent_values()
        {
            var parent = StateWith(("a", 1), ("List", new List<int> { 1 }));
            var fork = parent.Fork();
            Assert.Equal(1, fork.Get("a"));
            Assert.Equal(new List<int> { 1 }, fork.Get("list"));
            Assert.Equal(parent.Keys, fork.Keys);
            Assert.True(fork.IsFork);
            Assert.False(parent.IsFork);
        }

        [Fact]
        public void Fork_changes_are_invisible_to_the_parent()
        {
            var parent = StateWith(("a", 1), ("b", 2));
            var fork = parent.Fork();
            fork.Set("a", 10);
            fork.Remove("b");
            fork.Set("c", 3);
            Assert.Equal(1, parent.Get("a"));
            Assert.Equal(2, parent.Get("b"));
            Assert.False(parent.ContainsKey("c"));
        }

        [Fact]
        public void Parent_changes_after_the_fork_are_invisible_to_the_fork()
        {
            var parent = StateWith(("a", 1));
            var fork = parent.Fork();
            parent.Set("a", 10);
            parent.Set("b", 2);
            parent.Remove("a");
            Assert.Equal(1, fork.Get("a"));
            Assert.False(fork.ContainsKey("b"));
            Assert.True(fork.GetDelta().IsEmpty);
        }

        [Fact]
        public void Mutating_a_value_read_from_a_fork_changes_neither_fork_nor_parent()
        {
            var parent = StateWith(("list", new List<int> { 1 }));
            var fork = parent.Fork();
            ((List<int>)fork.Get("list")!).Add(2);
            Assert.Equal(new List<int> { 1 }, fork.Get("list"));
            Assert.Equal(new List<int> { 1 }, parent.Get("list"));
        }

        [Fact]
        public void Sibling_forks_of_one_snapshot_are_independent_and_share_its_base()
        {
            var parent = StateWith(("a", 1));
            var snapshot = parent.Snapshot();
            var left = AgnoState.ForkOf(snapshot);
            var right = AgnoState.ForkOf(snapshot);
            left.Set("a", 2);
            right.Remove("a");
            Assert.Equal(2, left.Get("a"));
            Assert.False(right.ContainsKey("a"));
            Assert.Same(snapshot, left.Base);
            Assert.Same(snapshot, right.Base);
            Assert.Equal(1, parent.Get("a"));
        }

        [Fact]
        public void ForkOf_null_is_refused()
        {
            Assert.Throws<ArgumentNullException>(() => AgnoState.ForkOf(null!));
        }

        [Fact]
        public void Fork_keeps_the_copier_of_its_parent()
        {
            var copier = new DefaultValueCopier();
            var parent = new AgnoState(copier);
            Assert.Same(copier, parent.Fork().Copier);
        }

        [Fact]
        public void Delta_records_sets_and_removals()
        {
            var parent = StateWith(("Keep", 1), ("Change", 2), ("Drop", 3));
            var fork = parent.Fork();
            fork.Set("change", 20);
            fork.Remove("DROP");
            fork.Set("New", 4);

            var delta = fork.GetDelta();

            Assert.Equal(3, delta.Count);
            Assert.False(delta.IsEmpty);
            Assert.Equal(new[] { "Change", "New" }, delta.SetKeys.OrderBy(k => k));
            Assert.Equal(new[] { "Drop" }, delta.RemovedKeys);
            Assert.True(delta.TryGetChange("CHANGE", out var change));
            Assert.False(change.IsRemoval);
            Assert.Equal(20, change.Value);
            Assert.Equal("Change=20", change.ToString());
            Assert.True(delta.TryGetChange("drop", out var removal));
            Assert.True(removal.IsRemoval);
            Assert.Null(removal.Value);
            Assert.Equal("-Drop", removal.ToString());
            Assert.False(delta.TryGetChange("keep", out _));
            Assert.Equal(3, delta.Changes.Count);
        }

        [Fact]
        public void Delta_keeps_only_the_last_change_of_a_key()
        {
            var parent = StateWith(("a", 1), ("b", 2));
            var fork = parent.Fork();
            fork.Set("a", 5);
            fork.Remove("a");
            fork.Remove("b");
            fork.Set("b", 7);

            var delta = fork.GetDelta();

            Assert.Equal(2, delta.Count);
            Assert.True(delta.TryGetChange("a", out var a));
            Assert.True(a.IsRemoval);
            Assert.True(delta.TryGetChange("b", out var b));
            Assert.Equal(7, b.Value);
        }

        [Fact]
        public void Delta_keys_keep_the_casing_of_the_base()
        {
            var parent = StateWith(("UserName", "a"));
            var fork = parent.Fork();
            fork.Set("USERNAME", "b");
            Assert.Equal("UserName", fork.GetDelta().Changes.Single().Key);
            Assert.Equal(new[] { "UserName" }, fork.Keys);
        }

        [Fact]
        public void Delta_is_a_copy_that_later_changes_do_not_touch()
        {
            var fork = StateWith(("a", 1)).Fork();
            fork.Set("a", 2);
            var delta = fork.GetDelta();
            fork.Set("b", 3);
            Assert.Equal(1, delta.Count);
            Assert.Equal(2, fork.GetDelta().Count);
        }

        [Fact]
        public void Applying_a_fork_delta_onto_the_parent_brings_the_changes()
        {
            var parent = StateWith(("a", 1), ("b", 2));
            var fork = parent.Fork();
            fork.Set("a", 10);
            fork.Remove("b");
            parent.Apply(fork.GetDelta());
            Assert.Equal(10, parent.Get("a"));
            Assert.False(parent.ContainsKey("b"));
        }

        [Fact]
        public void Fork_of_a_fork_tracks_its_own_changes_and_Apply_records_them_in_the_outer_fork()
        {
            var root = StateWith(("a", 1));
            var outer = root.Fork();
            outer.Set("b", 2);
            var inner = outer.Fork();
            Assert.True(inner.GetDelta().IsEmpty);
            inner.Set("c", 3);
            inner.Remove("a");
            Assert.Equal(2, inner.GetDelta().Count);

            outer.Apply(inner.GetDelta());

            var delta = outer.GetDelta();
            Assert.Equal(new[] { "b", "c" }, delta.SetKeys.OrderBy(k => k));
            Assert.Equal(new[] { "a" }, delta.RemovedKeys);
            Assert.Equal(1, root.Count);
        }

        [Fact]
        public void A_delta_built_from_changes_made_elsewhere_applies_to_a_fork_as_its_own_changes()
        {
            var parent = StateWith(("Count", 1), ("Gone", "x"), ("Kept", "same"));
            var fork = parent.Fork();
            var received = new List<int> { 1, 2 };

            fork.Apply(StateDelta.FromChanges(new[]
            {
                StateChange.Set("count", 2), StateChange.Set("List", received), StateChange.Remove("Gone"), StateChange.Set("Kept", "same"),
            }));

            var delta = fork.GetDelta();
            Assert.Equal(new[] { "Count", "List" }, delta.SetKeys.OrderBy(k => k));
            Assert.Equal(new[] { "Gone" }, delta.RemovedKeys);
            Assert.Same(received, delta.TryGetChange("List", out var list) ? list.Value : null);
            Assert.Equal(1, parent.Get("Count"));
            parent.Apply(delta);
            Assert.Equal(2, parent.Get("Count"));
            Assert.False(parent.ContainsKey("Gone"));
        }

        [Fact]
        public void A_delta_from_changes_refuses_two_changes_of_one_key_and_bad_keys()
        {
            var twice = Assert.Throws<ArgumentException>(() => StateDelta.FromChanges(new[] { StateChange.Set("a", 1), StateChange.Remove("A") }));
            Assert.Contains("key 'A' has two", twice.Message);
            Assert.Throws<ArgumentException>(() => StateChange.Set(" ", 1));
            Assert.Throws<ArgumentNullException>(() => StateChange.Remove(null!));
            Assert.Throws<ArgumentException>(() => StateDelta.FromChanges(new StateChange[] { null! }));
        }

        [Fact]
        public void Snapshot_is_frozen_and_reads_copies()
        {
            var state = StateWith(("Key", new List<int> { 1 }), ("n", 1));
            var snapshot = state.Snapshot();
            state.Set("n", 2);
            state.Set("later", 3);
            state.Remove("key");

            Assert.Equal(2, snapshot.Count);
            Assert.Equal(new[] { "Key", "n" }, snapshot.Keys.OrderBy(k => k));
            Assert.True(snapshot.ContainsKey("KEY"));
            Assert.False(snapshot.ContainsKey("later"));
            Assert.True(snapshot.TryGet("n", out var n));
            Assert.Equal(1, n);
            Assert.True(snapshot.TryGet("key", out var list));
            ((List<int>)list!).Add(2);
            Assert.True(snapshot.TryGet("key", out var again));
            Assert.Equal(new List<int> { 1 }, again);
            Assert.False(snapshot.TryGet("missing", out var missing));
            Assert.Null(missing);
        }

        [Fact]
        public void Fork_of_a_100000_key_state_shares_its_structure_instead_of_copying()
        {
            const int size = 100_000;
            var copier = new CountingCopier();
            var initial = new Dictionary<string, object?>(size);
            for (int i = 0; i < size; i++) initial["k" + i] = new List<int> { i };
            var parent = new AgnoState(initial, copier);
            int copiesBeforeFork = copier.Copies;

            var fork = parent.Fork();
            var second = fork.Fork();

            // Forking copied no value at all...
            Assert.Equal(copiesBeforeFork, copier.Copies);
            // ...and the fork holds the very same map and the very same stored objects.
            Assert.Same(parent.Snapshot().Map, fork.Snapshot().Map);
            Assert.Same(parent.Snapshot().Map, second.Snapshot().Map);
            Assert.True(parent.TryGetStored("k12345", out var inParent));
            Assert.True(fork.TryGetStored("k12345", out var inFork));
            Assert.Same(inParent, inFork);

            // It still behaves as an independent state.
            Assert.Equal(size, fork.Count);
            fork.Set("k0", "changed");
            Assert.Equal(new List<int> { 0 }, parent.Get("k0"));
            Assert.Equal(1, fork.GetDelta().Count);
            Assert.NotSame(parent.Snapshot().Map, fork.Snapshot().Map);
        }

        private sealed class CountingCopier : IValueCopier
        {
            public int Copies;
            public object? Copy(object? value)
            {
                System.Threading.Interlocked.Increment(ref Copies);
                return DefaultValueCopier.Instance.Copy(value);
            }
            public bool IsImmutable(object? value) => DefaultValueCopier.Instance.IsImmutable(value);
            public bool AreEqual(object? left, object? right) => DefaultValueCopier.Instance.AreEqual(left, right);
        }
    }
}
