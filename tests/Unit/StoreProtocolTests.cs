using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Agno.Core;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Agno.Tests
{
    /// <summary>
    /// The commit protocol of a stored session, with several stores on one file standing for several
    /// processes (each store is its own SQLite connection, as each process has one).
    /// </summary>
    public sealed class StoreProtocolTests : IDisposable
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "agno-protocol-" + Guid.NewGuid().ToString("N"));
        private readonly List<IDisposable> _opened = new List<IDisposable>();
        private string StorePath => Path.Combine(_dir, "store.db");

        public StoreProtocolTests() { Directory.CreateDirectory(_dir); }

        public void Dispose()
        {
            foreach (var store in _opened) store.Dispose();
            SqliteConnection.ClearAllPools();
            try { Directory.Delete(_dir, true); } catch (IOException) { }
        }

        /// <summary>Another "process": a store of its own on the same file.</summary>
        private SqliteSessionStore Process()
        {
            var store = new SqliteSessionStore(StorePath);
            _opened.Add(store);
            return store;
        }

        private static Step Add(string key, int amount) => new Step("add " + amount, s => s.State.Set(key, (int)s.State.Get(key)! + amount));

        [Fact]
        public async Task A_parallel_node_uses_its_sessions_merge_rules_unless_it_sets_its_own()
        {
            ParallelNode Fan(MergePolicy? own) => new ParallelNode("fan") { MergePolicy = own }.AddNode(Add("n", 1)).AddNode(Add("n", 2));
            var session = AgnoSession.Create();
            session.MergePolicy = new MergePolicy().WithReducer("n", Reducers.Sum());
            session.State.Set("n", 0);

            await Fan(null).ExecuteAsync(session).Guarded();
            Assert.Equal(3, session.State.Get("n"));

            await Fan(new MergePolicy()).ExecuteAsync(session).Guarded();
            Assert.Equal(5, session.State.Get("n")); // its own rules: the later branch wins
        }

        [Fact]
        public async Task Resume_without_a_store_continues_the_last_unfinished_run_from_the_sessions_own_history()
        {
            int firstRuns = 0;
            bool broken = true;
            Workflow Build() => new Workflow("etl")
                .AddStep(new Step("extract", s => { Interlocked.Increment(ref firstRuns); s.State.Set("x", 1); }))
                .AddStep(new Step("load", s => { if (broken) throw new InvalidOperationException("down"); s.State.Set("y", 2); }));
            var session = AgnoSession.Create();
            var failed = await Assert.ThrowsAsync<StepFailedException>(() => Build().ExecuteAsync(session).Guarded());
            broken = false;

            var resumed = await Build().ExecuteAsync(session, default, new RunOptions { Resume = true }).Guarded();

            Assert.True(resumed.IsResumed);
            Assert.Equal(failed.Run!.RunId, resumed.RunId);
            Assert.Equal(new[] { NodeStatus.Skipped, NodeStatus.Completed }, resumed.Steps.Select(s => s.Status));
            Assert.Equal(1, firstRuns);

            // Its last run completed: nothing to resume, so it runs from the start, and says so.
            var again = await Build().ExecuteAsync(session, default, new RunOptions { Resume = true }).Guarded();
            Assert.False(again.IsResumed);
            Assert.NotEqual(resumed.RunId, again.RunId);
            Assert.Equal(2, firstRuns);
        }

        [Fact]
        public void History_is_bounded_in_memory_and_its_limit_can_change()
        {
            var session = AgnoSession.Create();
            var step = TestSupport.SetStep("s", "k", 1);
            for (int i = 0; i < 5; i++) step.ExecuteAsync(session).GetAwaiter().GetResult();
            var last = session.History.Last().RunId;
            session.HistoryLimit = 2;
            Assert.Equal(2, session.History.Count);
            Assert.Equal(last, session.History.Last().RunId);
            Assert.Throws<ArgumentOutOfRangeException>(() => session.HistoryLimit = 0);
            Assert.Equal(AgnoSession.DefaultHistoryLimit, AgnoSession.Create().HistoryLimit);
        }

        // ---------------------------------------------------------------- the file

        [Fact]
        public void A_store_file_replaced_while_open_is_refused_and_nothing_is_written_to_the_new_file()
        {
            var first = Process();
            var session = first.OpenSession("s");
            session.State.Set("x", 1);
            var moved = StorePath + ".old";
            File.Move(StorePath, moved); // the old file lives on elsewhere, another takes its path
            using (var replacement = new SqliteSessionStore(StorePath)) replacement.OpenSession("other").State.Set("theirs", 1);
            var before = File.ReadAllBytes(StorePath);

            var e = Assert.Throws<StoreException>(() => session.State.Set("y", 2));
            Assert.Equal("AgnoStoreReplaced", e.ErrorId);
            Assert.Contains(StorePath, e.Message);
            Assert.Equal("AgnoStoreReplaced", Assert.Throws<StoreException>(() => session.State.Get("x")).ErrorId);
            Assert.Equal("AgnoStoreReplaced", Assert.Throws<StoreException>(() => first.ListSessions()).ErrorId);
            Assert.False(first.IsCurrent);

            Assert.Equal(before, File.ReadAllBytes(StorePath));
            using var check = new SqliteSessionStore(StorePath);
            Assert.Equal(new[] { "other" }, check.ListSessions().Select(s => s.SessionId));
        }

        [Fact]
        public void A_store_file_deleted_while_open_is_refused_naming_it()
        {
            var session = Process().OpenSession("s");
            session.State.Set("x", 1);
            foreach (var file in Directory.GetFiles(_dir)) File.Delete(file);

            var e = Assert.Throws<StoreException>(() => session.State.Set("y", 2));
            Assert.Equal("AgnoStoreMissing", e.ErrorId);
            Assert.Contains(StorePath, e.Message);
            Assert.False(File.Exists(StorePath));
        }

        [Fact]
        public void Every_store_path_problem_is_a_StoreException_with_its_own_id_naming_the_path()
        {
            StoreException Refused(string path, StoreCreation creation = StoreCreation.File) =>
                Assert.Throws<StoreException>(() => new SqliteSessionStore(path, creation: creation));

            var folder = Refused(_dir);
            Assert.Equal("AgnoStoreIsFolder", folder.ErrorId);
            Assert.Contains(_dir, folder.Message);

            var missingFolder = Path.Combine(_dir, "no", "such");
            var typo = Refused(Path.Combine(missingFolder, "agno.db"));
            Assert.Equal("AgnoStoreFolderNotFound", typo.ErrorId);
            Assert.Contains($"'{missingFolder}'", typo.Message);
            Assert.False(Directory.Exists(Path.Combine(_dir, "no")));
            using (new SqliteSessionStore(Path.Combine(missingFolder, "agno.db"), creation: StoreCreation.FileAndFolder)) { }
            Assert.True(File.Exists(Path.Combine(missingFolder, "agno.db")));

            Assert.Equal("AgnoStoreNotFound", Refused(Path.Combine(_dir, "absent.db"), StoreCreation.None).ErrorId);
            Assert.False(File.Exists(Path.Combine(_dir, "absent.db")));

            var notes = Path.Combine(_dir, "notes.txt");
            File.WriteAllText(notes, "a user's notes");
            Assert.Equal("AgnoStoreNotSqlite", Refused(notes).ErrorId);

            if (OperatingSystem.IsLinux())
            {
                var proc = Refused("/proc/agno.db");
                Assert.Equal("AgnoStoreCreateFailed", proc.ErrorId);
                Assert.Contains("/proc/agno.db", proc.Message);
                Assert.Equal("AgnoStoreNotSqlite", Refused("/proc/self/status").ErrorId);
            }
        }

        [Fact]
        public void A_store_of_schema_1_is_upgraded_with_its_sessions_values_and_runs()
        {
            using (var raw = new SqliteConnection($"Data Source={StorePath};Pooling=false"))
            {
                raw.Open();
                using var cmd = raw.CreateCommand();
                cmd.CommandText = @"
                    CREATE TABLE agno_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
                    INSERT INTO agno_meta VALUES ('schema_version', '1');
                    CREATE TABLE sessions (session_id TEXT PRIMARY KEY, user_id TEXT, version INTEGER NOT NULL, input TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
                    CREATE TABLE state (session_id TEXT NOT NULL, key_norm TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (session_id, key_norm));
                    CREATE TABLE runs (run_id TEXT PRIMARY KEY, session_id TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL, seq INTEGER NOT NULL, started_at TEXT NOT NULL, updated_at TEXT NOT NULL);
                    CREATE INDEX runs_by_session ON runs (session_id, name, seq);
                    CREATE TABLE run_nodes (run_id TEXT NOT NULL, node TEXT NOT NULL, PRIMARY KEY (run_id, node));
                    INSERT INTO sessions VALUES ('Nightly', 'ann', 4, '{""t"":""str"",""v"":""in""}', '2026-01-01T00:00:00.0000000+00:00', '2026-01-01T00:00:00.0000000+00:00');
                    INSERT INTO state VALUES ('Nightly', 'COUNT', 'count', '{""t"":""i32"",""v"":7}');
                    INSERT INTO runs VALUES ('8a5d2f4e-58e0-4f5e-9a53-1f0e8b1c2d3e', 'Nightly', 'etl', 'Failed', 1, '2026-01-01T00:00:00.0000000+00:00', '2026-01-01T00:00:00.0000000+00:00');
                    INSERT INTO run_nodes VALUES ('8a5d2f4e-58e0-4f5e-9a53-1f0e8b1c2d3e', 'extract');";
                cmd.ExecuteNonQuery();
            }

            var session = Process().OpenSession("NIGHTLY", "ann");

            Assert.Equal("Nightly", session.SessionId);
            Assert.Equal("in", session.Input);
            Assert.Equal(7, session.State.Get("count"));
            Assert.Equal(4, session.State.Version);
            var run = Assert.Single(session.History);
            Assert.Equal(NodeStatus.Failed, run.Status);
            Assert.Equal(new[] { "extract" }, run.Steps.Select(s => s.Name));
            session.State.Set("count", 8);
            Assert.Equal(8, Process().OpenSession("nightly", "ann").State.Get("count"));
        }

        [Fact]
        public void A_store_of_schema_1_whose_ids_differ_only_in_case_is_refused_and_left_untouched()
        {
            using (var raw = new SqliteConnection($"Data Source={StorePath};Pooling=false"))
            {
                raw.Open();
                using var cmd = raw.CreateCommand();
                cmd.CommandText = @"
                    PRAGMA journal_mode = WAL;
                    CREATE TABLE agno_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
                    INSERT INTO agno_meta VALUES ('schema_version', '1');
                    CREATE TABLE sessions (session_id TEXT PRIMARY KEY, user_id TEXT, version INTEGER NOT NULL, input TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
                    CREATE TABLE state (session_id TEXT NOT NULL, key_norm TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (session_id, key_norm));
                    CREATE TABLE runs (run_id TEXT PRIMARY KEY, session_id TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL, seq INTEGER NOT NULL, started_at TEXT NOT NULL, updated_at TEXT NOT NULL);
                    CREATE TABLE run_nodes (run_id TEXT NOT NULL, node TEXT NOT NULL, PRIMARY KEY (run_id, node));
                    INSERT INTO sessions VALUES ('nightly', NULL, 0, '{""t"":""null""}', 'x', 'x'), ('NIGHTLY', NULL, 0, '{""t"":""null""}', 'y', 'y');";
                cmd.ExecuteNonQuery();
            }
            var before = File.ReadAllBytes(StorePath);

            var e = Assert.Throws<StoreException>(() => new SqliteSessionStore(StorePath));
            Assert.Equal("AgnoStoreMigrationFailed", e.ErrorId);
            Assert.Contains("'nightly', 'NIGHTLY'", e.Message.Replace("'NIGHTLY', 'nightly'", "'nightly', 'NIGHTLY'"));
            Assert.Equal(before, File.ReadAllBytes(StorePath));
        }

        // ---------------------------------------------------------------- compaction

        [Fact]
        public void Optimize_gives_space_back_and_a_session_object_that_has_not_looked_since_reloads_whole()
        {
            var store = Process();
            var writer = store.OpenSession("keep");
            writer.State.Set("a", 1);
            writer.State.Set("b", 2);
            var stale = Process().OpenSession("keep");
            Assert.Equal(1, stale.State.Get("a"));
            writer.State.Remove("a");
            var bulky = store.OpenSession("bulky");
            bulky.State.Change(s => { for (int i = 0; i < 300; i++) s.Set("k" + i, new string('x', 4000)); });
            Assert.True(store.RemoveSession("bulky"));
            long before = new FileInfo(StorePath).Length + new FileInfo(StorePath + "-wal").Length;

            store.Optimize();

            long after = new FileInfo(StorePath).Length + (File.Exists(StorePath + "-wal") ? new FileInfo(StorePath + "-wal").Length : 0);
            Assert.True(after < before / 4, $"{after} bytes after, {before} before");
            Assert.False(stale.State.ContainsKey("a")); // the removal's record is gone: it reloaded whole
            Assert.Equal(new[] { "b" }, stale.State.Keys);
            stale.State.Set("c", 3);
            Assert.Equal(new[] { "b", "c" }, Process().OpenSession("keep").State.Keys);
            using var raw = new SqliteConnection($"Data Source={StorePath};Pooling=false;Mode=ReadOnly");
            raw.Open();
            using var cmd = raw.CreateCommand();
            cmd.CommandText = "PRAGMA integrity_check";
            Assert.Equal("ok", cmd.ExecuteScalar());
        }

    }
}
