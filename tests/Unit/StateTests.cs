using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using Agno.Core;
using Xunit;

namespace Agno.Tests
{
    public class StateTests
    {
        [Fact]
        public void Set_then_Get_returns_the_value()
        {
            var state = new AgnoState();
            state.Set("name", "Alice");
            Assert.Equal("Alice", state.Get("name"));
        }

        [Fact]
        public void Set_again_replaces_the_value()
        {
            var state = new AgnoState();
            state.Set("n", 1);
            state.Set("n", 2);
            Assert.Equal(2, state.Get("n"));
            Assert.Equal(1, state.Count);
        }

        [Fact]
        public void Get_of_a_missing_key_throws_StateKeyNotFoundException_naming_the_key()
        {
            var state = new AgnoState();
            var e = Assert.Throws<StateKeyNotFoundException>(() => state.Get("nope"));
            Assert.Equal("nope", e.Key);
            Assert.Contains("'nope'", e.Message);
            Assert.Equal("AgnoStateKeyNotFound", e.ErrorId);
            Assert.IsAssignableFrom<AgnoException>(e);
        }

        [Fact]
        public void TryGet_reports_presence_and_value()
        {
            var state = new AgnoState();
            state.Set("a", 42);
            Assert.True(state.TryGet("a", out var value));
            Assert.Equal(42, value);
            Assert.False(state.TryGet("b", out var missing));
            Assert.Null(missing);
        }

        [Fact]
        public void Keys_are_case_insensitive()
        {
            var state = new AgnoState();
            state.Set("UserName", "Alice");
            Assert.Equal("Alice", state.Get("username"));
            Assert.Equal("Alice", state.Get("USERNAME"));
            Assert.True(state.ContainsKey("uSeRnAmE"));
            Assert.True(state.TryGet("USERname", out _));
        }

        [Fact]
        public void Writing_a_key_in_another_casing_keeps_the_first_casing()
        {
            var state = new AgnoState();
            state.Set("UserName", "Alice");
            state.Set("USERNAME", "Bob");
            Assert.Equal(new[] { "UserName" }, state.Keys);
            Assert.Equal("UserName", state.GetAll().Keys.Single());
            Assert.Equal("Bob", state.Get("username"));
        }

        [Fact]
        public void After_a_removal_the_next_write_sets_the_casing_anew()
        {
            var state = new AgnoState();
            state.Set("Key", 1);
            state.Remove("KEY");
            state.Set("kEY", 2);
            Assert.Equal(new[] { "kEY" }, state.Keys);
        }

        [Theory]
        [InlineData("")]
        [InlineData(" ")]
        [InlineData("\t\n")]
        public void Empty_or_whitespace_keys_are_rejected_everywhere(string key)
        {
            var state = new AgnoState();
            Assert.Throws<ArgumentException>(() => state.Set(key, 1));
            Assert.Throws<ArgumentException>(() => state.Get(key));
            Assert.Throws<ArgumentException>(() => state.TryGet(key, out _));
            Assert.Throws<ArgumentException>(() => state.Remove(key));
            Assert.Throws<ArgumentException>(() => state.ContainsKey(key));
            Assert.Equal(0, state.Count);
        }

        [Fact]
        public void Null_keys_are_rejected_everywhere()
        {
            var state = new AgnoState();
            Assert.Throws<ArgumentNullException>(() => state.Set(null!, 1));
            Assert.Throws<ArgumentNullException>(() => state.Get(null!));
            Assert.Throws<ArgumentNullException>(() => state.TryGet(null!, out _));
            Assert.Throws<ArgumentNullException>(() => state.Remove(null!));
            Assert.Throws<ArgumentNullException>(() => state.ContainsKey(null!));
            Assert.Equal(0, state.Count);
        }

        [Fact]
        public void Null_value_is_stored_and_distinct_from_a_missing_key()
        {
            var state = new AgnoState();
            state.Set("nothing", null);
            Assert.True(state.ContainsKey("nothing"));
            Assert.Equal(1, state.Count);
            Assert.True(state.TryGet("nothing", out var value));
            Assert.Null(value);
            Assert.Null(state.Get("nothing"));
            Assert.False(state.TryGet("missing", out _));
            Assert.Throws<StateKeyNotFoundException>(() => state.Get("missing"));
            Assert.True(state.GetAll().ContainsKey("nothing"));
        }

        [Fact]
        public void Remove_removes_and_reports_whether_there_was_a_key()
        {
            var state = new AgnoState();
            state.Set("a", 1);
            Assert.True(state.Remove("A"));
            Assert.False(state.ContainsKey("a"));
            Assert.False(state.Remove("a"));
            Assert.Equal(0, state.Count);
        }

        [Fact]
        public void Count_follows_sets_and_removals()
        {
            var state = new AgnoState();
            Assert.Equal(0, state.Count);
            state.Set("a", 1);
            state.Set("b", 2);
            state.Set("A", 3);
            Assert.Equal(2, state.Count);
            state.Remove("b");
            Assert.Equal(1, state.Count);
        }

        [Fact]
        public void Keys_are_in_ordinal_case_insensitive_order()
        {
            var state = new AgnoState();
            foreach (var k in new[] { "delta", "Alpha", "charlie", "Bravo" }) state.Set(k, k.Length);
            Assert.Equal(new[] { "Alpha", "Bravo", "charlie", "delta" }, state.Keys);
        }

        [Fact]
        public void GetAll_returns_copies_of_every_entry_keyed_case_insensitively()
        {
            var state = new AgnoState();
            state.Set("List", new List<int> { 1 });
            state.Set("n", 5);
            var all = state.GetAll();
            Assert.Equal(2, all.Count);
            Assert.Equal(5, all["N"]);
            ((List<int>)all["list"]!).Add(2);
            Assert.Equal(new List<int> { 1 }, state.Get("list"));
            all.Remove("n");
            Assert.True(state.ContainsKey("n"));
        }

        [Fact]
        public void Constructor_from_a_dictionary_copies_every_entry()
        {
            var list = new List<int> { 1, 2 };
            var initial = new Hashtable { ["a"] = 1, ["b"] = list };
            var state = new AgnoState(initial);
            list.Add(3);
            Assert.Equal(2, state.Count);
            Assert.Equal(1, state.Get("A"));
            Assert.Equal(new List<int> { 1, 2 }, state.Get("b"));
            Assert.False(state.IsFork);
            Assert.Null(state.Base);
            Assert.Same(DefaultValueCopier.Instance, state.Copier);
        }

        [Fact]
        public void Constructor_from_a_dictionary_with_keys_differing_only_by_case_keeps_the_first_casing()
        {
            var initial = new Dictionary<string, object?>(StringComparer.Ordinal) { ["Key"] = 1, ["KEY"] = 2 };
            var state = new AgnoState(initial);
            Assert.Equal(1, state.Count);
            Assert.Equal(new[] { "Key" }, state.Keys);
        }

        [Fact]
        public void Constructor_refuses_a_non_string_key()
        {
            var initial = new Hashtable { [1] = "one" };
            var e = Assert.Throws<ArgumentException>(() => new AgnoState(initial));
            Assert.Contains("keys must be strings", e.Message);
        }

        [Fact]
        public void Constructor_refuses_a_null_dictionary()
        {
            Assert.Throws<ArgumentNullException>(() => new AgnoState((IDictionary)null!));
        }

        [Fact]
        public void Constructor_refuses_an_uncopiable_value_naming_its_key()
        {
            var cyclic = new List<object>();
            cyclic.Add(cyclic);
            var e = Assert.Throws<ValueRefusedException>(() => new AgnoState(new Hashtable { ["loop"] = cyclic }));
            Assert.Equal("loop", e.Key);
        }

        [Fact]
        public void A_state_built_with_a_copier_uses_it()
        {
            var copier = new CountingCopier();
            var state = new AgnoState(copier);
            state.Set("a", new List<int>());
            state.Get("a");
            Assert.Same(copier, state.Copier);
            Assert.Equal(2, copier.Copies);
        }

        [Fact]
        public void A_state_that_is_not_a_fork_has_an_empty_delta()
        {
            var state = new AgnoState();
            state.Set("a", 1);
            Assert.True(state.GetDelta().IsEmpty);
            Assert.Same(StateDelta.Empty, state.GetDelta());
        }

        [Fact]
        public void Apply_of_null_is_refused_and_an_empty_delta_changes_nothing()
        {
            var state = new AgnoState();
            state.Set("a", 1);
            Assert.Throws<ArgumentNullException>(() => state.Apply(null!));
            state.Apply(StateDelta.Empty);
            Assert.Equal(1, state.Get("a"));
        }

        [Fact]
        public void Apply_sets_and_removes_and_leaves_other_keys_alone()
        {
            var state = new AgnoState();
            state.Set("Keep", 1);
            state.Set("Drop", 2);
            state.Set("Change", 3);
            var fork = state.Fork();
            fork.Remove("drop");
            fork.Set("CHANGE", 30);
            fork.Set("New", 4);
            state.Set("Keep", 10); // a change made after the fork survives

            state.Apply(fork.GetDelta());

            Assert.Equal(new[] { "Change", "Keep", "New" }, state.Keys);
            Assert.Equal(10, state.Get("keep"));
            Assert.Equal(30, state.Get("change"));
            Assert.Equal(4, state.Get("new"));
        }

        [Fact]
        public void Apply_of_a_removal_of_a_key_already_gone_is_a_no_op()
        {
            var state = new AgnoState();
            state.Set("a", 1);
            var fork = state.Fork();
            fork.Remove("a");
            state.Remove("a");
            state.Apply(fork.GetDelta());
            Assert.Equal(0, state.Count);
        }

        [Fact]
        public void Session_Create_makes_a_new_guid_id_when_none_is_given()
        {
            var session = AgnoSession.Create();
            Assert.True(Guid.TryParse(session.SessionId, out _));
            Assert.NotEqual(session.SessionId, AgnoSession.Create().SessionId);
            Assert.Null(session.UserId);
            Assert.Null(session.Input);
            Assert.Null(session.Output);
            Assert.Null(session.Parent);
            Assert.Null(session.NodeName);
            Assert.Empty(session.History);
            Assert.Equal(0, session.State.Count);
            Assert.True(session.CreatedAt <= DateTimeOffset.Now);
        }

        [Theory]
        [InlineData("")]
        [InlineData("  ")]
        public void Session_Create_refuses_an_empty_session_id(string id)
        {
            Assert.Throws<ArgumentException>(() => AgnoSession.Create(sessionId: id));
        }

        [Fact]
        public void Session_Create_uses_the_given_state_and_metadata_is_case_insensitive()
        {
            var state = new AgnoState();
            state.Set("a", 1);
            var session = AgnoSession.Create(input: "in", sessionId: "s1", userId: "u1", state: state);
            Assert.Same(state, session.State);
            Assert.Equal("in", session.Input);
            session.Metadata["Owner"] = "me";
            Assert.Equal("me", session.Metadata["OWNER"]);
            Assert.Equal("Session s1 (1 keys)", session.ToString());
        }

        private sealed class CountingCopier : IValueCopier
        {
            public int Copies;
            public object? Copy(object? value)
            {
                Copies++;
                return DefaultValueCopier.Instance.Copy(value);
            }
            public bool IsImmutable(object? value) => DefaultValueCopier.Instance.IsImmutable(value);
            public bool AreEqual(object? left, object? right) => DefaultValueCopier.Instance.AreEqual(left, right);
        }
    }
}
