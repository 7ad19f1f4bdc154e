using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Agno.Core;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Agno.Tests
{
    public sealed class StoreTests : IDisposable
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "agno-store-" + Guid.NewGuid().ToString("N"));
        private string StorePath => Path.Combine(_dir, "store.db");

        public StoreTests() { Directory.CreateDirectory(_dir); }
        public void Dispose()
        {
            SqliteConnection.ClearAllPools();
            try { Directory.Delete(_dir, true); } catch (IOException) { }
        }

        public static IEnumerable<object[]> Stores() => new[] { new object[] { "sqlite" }, new object[] { "memory" } };

        private ISessionStore Open(string kind) => kind == "sqlite" ? new SqliteSessionStore(StorePath) : (ISessionStore)new InMemorySessionStore();

        public static IEnumerable<object?[]> Values() => new[]
        {
            new object?[] { null }, new object?[] { "text" }, new object?[] { 42 }, new object?[] { 42L }, new object?[] { 4.5 }, new object?[] { 1.5f },
            new object?[] { 12.30m }, new object?[] { true }, new object?[] { 'c' }, new object?[] { (byte)7 }, new object?[] { (short)-3 },
            new object?[] { ulong.MaxValue }, new object?[] { new DateTime(2026, 11, 24, 1, 2, 3, DateTimeKind.Utc) },
            new object?[] { new DateTimeOffset(2026, 11, 24, 1, 2, 3, TimeSpan.FromHours(9)) }, new object?[] { TimeSpan.FromMinutes(90) },
            new object?[] { Guid.NewGuid() }, new object?[] { DayOfWeek.Friday }, new object?[] { new byte[] { 1, 2, 3 } },
            new object?[] { new[] { 1, 2, 3 } }, new object?[] { new object?[] { "a", 1, null } }, new object?[] { new List<string> { "x", "y" } },
            new object?[] { new Hashtable(StringComparer.OrdinalIgnoreCase) { ["A"] = 1, ["b"] = new ArrayList { 1, "two" } } },
            new object?[] { new Uri("https://example.invalid/x") }, new object?[] { new Version(1, 2, 3) },
            new object?[] { new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase) { ["k"] = new Dictionary<string, int> { ["n"] = 1 } } },
        };

        [Theory]
        [MemberData(nameof(Values))]
        public void Sqlite_round_trip_keeps_value_and_type(object? value)
        {
            using (var store = new SqliteSessionStore(StorePath)) store.OpenSession("s").State.Set("v", value);
            using var reopened = new SqliteSessionStore(StorePath);
            var back = reopened.OpenSession("s").State.Get("v");
            Assert.Equal(value?.GetType(), back?.GetType());
            Assert.True(DefaultValueCopier.Instance.AreEqual(value, back), $"{value} came back as {back}");
        }

        [Fact]
        public void Sqlite_round_trip_keeps_ordered_dictionary_order_and_hashtable_comparer()
        {
            var ordered = new OrderedDictionary(StringComparer.OrdinalIgnoreCase) { ["z"] = 1, ["a"] = 2 };
            using (var store = new SqliteSessionStore(StorePath))
            {
                var s = store.OpenSession("s");
                s.State.Set("o", ordered);
                s.State.Set("h", new Hashtable(StringComparer.OrdinalIgnoreCase) { ["Key"] = 1 });
            }
            using var reopened = new SqliteSessionStore(StorePath);
            var state = reopened.OpenSession("s").State;
            Assert.Equal(new object[] { "z", "a" }, ((OrderedDictionary)state.Get("o")!).Keys.Cast<object>());
            Assert.True(((OrderedDictionary)state.Get("o")!).Contains("Z"));
            Assert.Equal(1, ((Hashtable)state.Get("h")!)["KEY"]);
        }

        [Theory]
        [MemberData(nameof(Stores))]
        public void Every_commit_advances_the_version_and_a_reopened_session_sees_it(string kind)
        {
            using var store = Open(kind);
            var a = store.OpenSession("s", "alice");
            a.State.Set("x", 1);
            a.State.Set("y", 2);
            a.State.Remove("x");
            var info = store.ListSessions().Single();
            Assert.Equal(3, info.Version);
            Assert.Equal(1, info.KeyCount);
            Assert.Equal("alice", info.UserId);
            var b = store.OpenSession("s", "alice");
            Assert.False(b.State.ContainsKey("x"));
            Assert.Equal(2, b.State.Get("y"));
        }

        [Theory]
        [MemberData(nameof(Stores))]
        public void Two_writers_on_one_session_never_lose_each_others_changes(string kind)
        {
            using var store = Open(kind);
            var a = store.OpenSession("s");
            var b = store.OpenSession("s");
            a.State.Set("from-a", 1);
            b.State.Set("from-b", 2);   // b's base predates a's commit: merged, not overwritten
            a.State.Set("shared", "a");
            b.State.Set("shared", "b"); // a conflict: the later commit wins
            var c = store.OpenSession("s");
            Assert.Equal(1, c.State.Get("from-a"));
            Assert.Equal(2, c.State.Get("from-b"));
            Assert.Equal("b", c.State.Get("shared"));
            Assert.Equal(1, b.State.Get("from-a")); // b's memory caught up with a's commit
        }

        [Fact]
        public void Concurrent_writers_in_separate_connections_keep_every_key()
        {
            const int writers = 4, keys = 50;
            Parallel.For(0, writers, new ParallelOptions { MaxDegreeOfParallelism = writers }, w =>
            {
                using var store = new SqliteSessionStore(StorePath);
                var session = store.OpenSession("shared");
                for (int i = 0; i < keys; i++) session.State.Set($"w{w}-k{i}", i);
            });
            using var check = new SqliteSessionStore(StorePath);
            Assert.Equal(writers * keys, check.OpenSession("shared").State.Count);
        }

        [Theory]
        [MemberData(nameof(Stores))]
        public void A_session_opened_under_another_user_is_refused(string kind)
        {
            using var store = Open(kind);
            store.OpenSession("s", "alice");
            var e = Assert.Throws<StoreException>(() => store.OpenSession("s", "mallory"));
            Assert.Equal("AgnoSessionUserMismatch", e.ErrorId);
            Assert.Contains("alice", e.Message);
        }

        [Theory]
        [MemberData(nameof(Stores))]
        public void User_ids_are_checked_both_ways_for_sessions_and_their_runs(string kind)
        {
            using var store = Open(kind);
            store.OpenSession("owned", "alice").State.Set("secret", "s3cr3t");
            store.OpenSession("shared").State.Set("open", 1);

            var withoutUser = Assert.Throws<StoreException>(() => store.OpenSession("owned"));
            Assert.Equal("AgnoSessionUserMismatch", withoutUser.ErrorId);
            Assert.DoesNotContain("s3cr3t", withoutUser.Message);
            var underUser = Assert.Throws<StoreException>(() => store.OpenSession("shared", "alice"));
            Assert.Equal("AgnoSessionUserMismatch", underUser.ErrorId);
            Assert.Contains("without a UserId", underUser.Message);
            Assert.Equal("AgnoSessionUserMismatch", Assert.Throws<StoreException>(() => store.ListRuns("owned")).ErrorId);
            Assert.Equal("AgnoSessionUserMismatch", Assert.Throws<StoreException>(() => store.ListRuns("shared", "alice")).ErrorId);

            Assert.Equal("s3cr3t", store.OpenSession("owned", "alice").State.Get("secret"));
            Assert.Empty(store.ListRuns("owned", "alice"));
            Assert.Equal(new[] { "owned", "shared" }, store.ListSessions().Select(i => i.SessionId));
        }

        [Fact]
        public void A_store_file_is_created_readable_by_its_owner_alone()
        {
            if (OperatingSystem.IsWindows()) return;
            using var store = new SqliteSessionStore(StorePath);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(StorePath));
        }

        [Fact]
        public void A_file_that_is_not_sqlite_is_refused_and_left_untouched()
        {
            File.WriteAllText(StorePath, "not a database at all, but someone's notes");
            var e = Assert.Throws<StoreException>(() => new SqliteSessionStore(StorePath));
            Assert.Equal("AgnoStoreNotSqlite", e.ErrorId);
            Assert.Contains(StorePath, e.Message);
            Assert.Equal("not a database at all, but someone's notes", File.ReadAllText(StorePath));
        }

        [Fact]
        public void A_row_with_an_unknown_type_tag_fails_to_load_naming_key_and_tag()
        {
            using (var store = new SqliteSessionStore(StorePath)) store.OpenSession("s").State.Set("bad", 1);
            using (var raw = new SqliteConnection($"Data Source={StorePath};Pooling=false"))
            {
                raw.Open();
                using var cmd = raw.CreateCommand();
                cmd.CommandText = "UPDATE state SET value = '{\"t\":\"System.Diagnostics.Process\",\"v\":\"calc\"}'";
                cmd.ExecuteNonQuery();
            }
            using var reopened = new SqliteSessionStore(StorePath);
            var e = Assert.Throws<StoreException>(() => reopened.OpenSession("s"));
            Assert.Equal("AgnoStoreValueUnreadable", e.ErrorId);
            Assert.Contains("'bad'", e.Message);
            Assert.Contains("System.Diagnostics.Process", e.Message);
        }

        [Fact]
        public void A_store_of_a_newer_schema_is_refused()
        {
            using (new SqliteSessionStore(StorePath)) { }
            using (var raw = new SqliteConnection($"Data Source={StorePath};Pooling=false"))
            {
                raw.Open();
                using var cmd = raw.CreateCommand();
                cmd.CommandText = "UPDATE agno_meta SET value = '99' WHERE name = 'schema_version'";
                cmd.ExecuteNonQuery();
            }
            var e = Assert.Throws<StoreException>(() => new SqliteSessionStore(StorePath));
            Assert.Equal("AgnoStoreSchemaNewer", e.ErrorId);
        }

        [Theory]
        [MemberData(nameof(Stores))]
        public async Task Resume_skips_the_steps_an_unfinished_run_completed(string kind)
        {
            using var store = Open(kind);
            int firstRuns = 0;
            bool failSecond = true;
            Workflow Build() => new Workflow("wf")
                .AddStep(new Step("one", s => { Interlocked.Increment(ref firstRuns); s.State.Set("one", 1); }))
                .AddStep(new Step("two", s => { if (failSecond) throw new InvalidOperationException("down"); s.State.Set("two", 2); }));

            var session = store.OpenSession("s");
            await Assert.ThrowsAsync<StepFailedException>(() => Build().ExecuteAsync(session));
            failSecond = false;
            var resumed = store.OpenSession("s");
            var run = await Build().ExecuteAsync(resumed, default, new RunOptions { Resume = true });

            Assert.Equal(1, firstRuns);
            Assert.Equal(NodeStatus.Skipped, run.Steps[0].Status);
            Assert.Equal(NodeStatus.Completed, run.Steps[1].Status);
            Assert.Equal(2, store.OpenSession("s").State.Get("two"));
        }
    }
}
