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

        // ---------------------------------------------------------------- no lost update, no stale read

        [Fact]
        public async Task A_step_starts_from_the_latest_committed_version_so_no_update_is_lost()
        {
            var b = Process().OpenSession("shared");
            b.State.Set("Processed", 0);          // B opens the session (Processed = 0) and waits
            var a = Process().OpenSession("shared");
            await Add("Processed", 100).ExecuteAsync(a).Guarded();
            await Add("Processed", 5).ExecuteAsync(b).Guarded();

            Assert.Equal(105, b.State.Get("Processed"));
            Assert.Equal(105, Process().OpenSession("shared").State.Get("Processed"));
        }

        [Fact]
        public void A_read_shows_what_another_process_committed_and_removed_since()
        {
            var worker = Process().OpenSession("job");
            worker.State.Set("status", "starting");
            var monitor = Process().OpenSession("job");
            Assert.Equal("starting", monitor.State.Get("status"));

            worker.State.Set("status", "done");
            worker.State.Set("result", 42);
            Assert.Equal("done", monitor.State.Get("status"));
            Assert.Equal(2, monitor.State.Count);
            Assert.Equal(worker.State.Version, monitor.State.Version);

            worker.State.Remove("result");
            Assert.False(monitor.State.ContainsKey("result"));
            Assert.Equal(new[] { "status" }, monitor.State.Keys);
        }

        [Fact]
        public void A_read_loads_only_what_changed_since_the_version_it_shows_and_nothing_when_nothing_did()
        {
            var writer = Process().OpenSession("big");
            writer.State.Change(s =>
            {
                for (int i = 0; i < 200; i++) s.Set("k" + i, new Hashtable { ["i"] = i });
            });
            var reader = Process().OpenSession("big");
            object? Stored(string key) => reader.State.TryGetStored(key, out var v) ? v : null;
            var before = Enumerable.Range(0, 200).ToDictionary(i => "k" + i, i => Stored("k" + i));

            Assert.Equal(0, ((Hashtable)reader.State.Get("k0")!)["i"]);          // nothing changed: nothing loaded
            Assert.All(before, kv => Assert.Same(kv.Value, Stored(kv.Key)));

            writer.State.Set("k7", new Hashtable { ["i"] = -7 });
            writer.State.Remove("k8");
            Assert.Equal(-7, ((Hashtable)reader.State.Get("k7")!)["i"]);
            Assert.False(reader.State.ContainsKey("k8"));
            Assert.NotSame(before["k7"], Stored("k7"));
            Assert.All(before.Where(kv => kv.Key != "k7" && kv.Key != "k8"), kv => Assert.Same(kv.Value, Stored(kv.Key)));
        }

        // ---------------------------------------------------------------- conflicts and the session's rules

        [Theory]
        [InlineData(MergeStrategy.LastWriteWins, "b")]
        [InlineData(MergeStrategy.FirstWriteWins, "a")]
        public void Two_commits_changing_a_key_from_one_base_conflict_and_the_session_rules_resolve_it(MergeStrategy strategy, string kept)
        {
            var a = Process().OpenSession("s");
            a.State.Set("k", "base");
            var b = Process().OpenSession("s");
            b.MergePolicy = new MergePolicy { Strategy = strategy };
            Assert.Equal("base", b.State.Get("k"));

            var first = a.State.Change(s => s.Set("k", "a"))!;
            var second = b.State.Change(s => s.Set("k", "b"))!;   // b's base is the version before a's commit

            Assert.Empty(first.Conflicts);
            var conflict = Assert.Single(second.Conflicts);
            Assert.Equal("k", conflict.Key);
            Assert.Equal(first.Version, conflict.OtherVersion);
            Assert.Equal(strategy, conflict.Strategy);
            Assert.Null(conflict.Reducer);
            Assert.StartsWith("AgnoStoreConflict: key 'k' of session 's'", conflict.Message);
            Assert.Contains($"(version {first.Version})", conflict.Message);
            Assert.Equal(kept, b.State.Get("k"));
            Assert.Equal(kept, Process().OpenSession("s").State.Get("k"));
        }

        [Fact]
        public void Two_commits_setting_a_key_to_the_same_value_do_not_conflict()
        {
            var a = Process().OpenSession("s");
            a.State.Set("k", 1);
            var b = Process().OpenSession("s");
            a.State.Set("k", 2);
            var commit = b.State.Change(s => s.Set("k", 2))!;
            Assert.Empty(commit.Conflicts);
            Assert.Equal(2, b.State.Get("k"));
        }

        [Fact]
        public void Under_Fail_a_conflicting_commit_commits_nothing_and_names_the_key_and_the_other_version()
        {
            var a = Process().OpenSession("s");
            a.State.Set("k", "base");
            var b = Process().OpenSession("s");
            b.MergePolicy = new MergePolicy { Strategy = MergeStrategy.Fail };
            Assert.Equal("base", b.State.Get("k"));
            var other = a.State.Change(s => s.Set("k", "a"))!;

            var e = Assert.Throws<StoreConflictException>(() => b.State.Change(s =>
            {
                s.Set("k", "b");
                s.Set("untouched-by-a", 1);
            }));

            Assert.Equal("AgnoMergeConflict", e.ErrorId);
            Assert.Contains("'k'", e.Message);
            Assert.Contains($"version {other.Version}", e.Message);
            Assert.Contains("Nothing was committed", e.Message);
            var fresh = Process().OpenSession("s");
            Assert.Equal(other.Version, fresh.State.Version);
            Assert.Equal("a", fresh.State.Get("k"));
            Assert.False(fresh.State.ContainsKey("untouched-by-a"));
            Assert.False(b.State.ContainsKey("untouched-by-a"));
            Assert.Equal("a", b.State.Get("k")); // the next read catches up
        }

        [Fact]
        public void Reducers_combine_concurrent_commits_as_they_combine_branches_and_each_meeting_is_a_conflict()
        {
            var policy = new MergePolicy().WithReducer("n", Reducers.Sum()).WithReducer("log", Reducers.Append());
            var a = Process().OpenSession("s");
            a.State.Set("n", 10);
            a.State.Set("log", new object[] { "start" });
            var b = Process().OpenSession("s");
            a.MergePolicy = policy;
            b.MergePolicy = policy;
            Assert.Equal(10, b.State.Get("n"));

            a.State.Change(s => { s.Set("n", 11); s.Set("log", new object[] { "start", "a" }); });
            var commit = b.State.Change(s => { s.Set("n", 15.5); s.Set("log", new object[] { "start", "b" }); })!;

            Assert.Equal(16.5, b.State.Get("n"));
            Assert.Equal(new object[] { "start", "a", "b" }, (object[])b.State.Get("log")!);
            Assert.Equal(new[] { ("log", "Append"), ("n", "Sum") }, commit.Conflicts.Select(c => (c.Key, c.Reducer!)).OrderBy(c => c.Item1));
            Assert.Contains("the reducer Sum combined both changes", commit.Conflicts.Single(c => c.Key == "n").Message);
            var fresh = Process().OpenSession("s").State;
            Assert.Equal(16.5, fresh.Get("n"));
            Assert.Equal(new object[] { "start", "a", "b" }, (object[])fresh.Get("log")!);
        }

        /// <summary>A step whose fork is taken, then another process commits, then the step commits: the conflict is the step's.</summary>
        private static Step StepRacedBy(AgnoSession other, string key)
        {
            return new Step("update", s =>
            {
                var seen = (int)s.State.Get(key)!;
                other.State.Set(key, seen + 1000); // another process commits while this step runs
                s.State.Set(key, seen + 1);
            });
        }

        [Fact]
        public async Task A_steps_conflict_with_another_process_is_on_its_record()
        {
            var mine = Process().OpenSession("s");
            mine.State.Set("k", 0);
            var theirs = Process().OpenSession("s");

            var run = await new Workflow("w").AddStep(StepRacedBy(theirs, "k")).ExecuteAsync(mine).Guarded();

            var conflict = Assert.Single(run.StoreConflicts);
            Assert.Equal("k", conflict.Key);
            Assert.Equal(theirs.State.Version, conflict.OtherVersion);
            Assert.Same(conflict, run.Steps.Single().StoreConflicts.Single());
            Assert.Equal(1, mine.State.Get("k")); // LastWriteWins: this step's commit is the later one
        }

        [Fact]
        public async Task Under_Fail_a_step_that_meets_another_commit_fails_with_the_conflict_on_its_record_and_commits_nothing()
        {
            var mine = Process().OpenSession("s");
            mine.State.Set("k", 0);
            mine.MergePolicy = new MergePolicy { Strategy = MergeStrategy.Fail };
            var theirs = Process().OpenSession("s");

            var e = await Assert.ThrowsAsync<StoreConflictException>(() => new Workflow("w").AddStep(StepRacedBy(theirs, "k")).ExecuteAsync(mine).Guarded());

            var step = e.Run!.Steps.Single();
            Assert.Equal(NodeStatus.Failed, step.Status);
            Assert.Equal("k", Assert.Single(step.StoreConflicts).Key);
            Assert.Equal(1000, Process().OpenSession("s").State.Get("k"));
            Assert.Equal(NodeStatus.Failed, Process().ListRuns("s").Single().Status);
        }

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

        // ---------------------------------------------------------------- sessions

        [Fact]
        public void Session_ids_compare_case_insensitively_and_keep_their_first_casing()
        {
            Process().OpenSession("nightly").State.Set("x", 1);
            var reopened = Process().OpenSession("NIGHTLY");
            Assert.Equal("nightly", reopened.SessionId);
            Assert.Equal(1, reopened.State.Get("x"));
            Assert.Equal(new[] { "nightly" }, Process().ListSessions().Select(s => s.SessionId));
            Assert.True(Process().RemoveSession("Nightly"));
            Assert.Empty(Process().ListSessions());
        }

        [Fact]
        public void A_session_removed_and_created_again_is_another_one_for_an_object_that_had_the_first_open()
        {
            var old = Process().OpenSession("s");
            old.State.Set("x", 1);
            Assert.True(Process().RemoveSession("s"));
            Process().OpenSession("S").State.Set("y", 2);

            var e = Assert.Throws<StoreException>(() => old.State.Get("x"));
            Assert.Equal("AgnoSessionRemoved", e.ErrorId);
            Assert.Contains("created anew", e.Message);
            Assert.Throws<StoreException>(() => old.State.Set("z", 3));
            Assert.False(Process().OpenSession("s").State.ContainsKey("z"));
        }

        [Fact]
        public void Input_given_when_reopening_is_applied_and_stored_and_kept_when_not_given()
        {
            Process().OpenSession("s", input: "first");
            Assert.Equal("second", Process().OpenSession("s", input: "second").Input);
            Assert.Equal("second", Process().OpenSession("s").Input);
        }

        [Fact]
        public async Task Run_history_is_reloaded_by_another_process_bounded_with_each_nodes_record_and_error()
        {
            var session = Process().OpenSession("s", historyLimit: 3);
            var ok = new Workflow("nightly").AddStep(TestSupport.SetStep("fetch", "a", 1)).AddStep(TestSupport.SetStep("report", "b", 2));
            for (int i = 0; i < 3; i++) await ok.ExecuteAsync(session).Guarded();
            var failing = new Workflow("nightly").AddStep(TestSupport.SetStep("fetch", "a", 10)).AddStep(TestSupport.FailStep("report", "the printer is on fire"));
            await Assert.ThrowsAsync<StepFailedException>(() => failing.ExecuteAsync(session).Guarded());
            await ok.ExecuteAsync(session).Guarded();

            Assert.Equal(3, session.History.Count);
            var reloaded = Process().OpenSession("s").History;
            Assert.Equal(session.History.Select(r => r.RunId), reloaded.Select(r => r.RunId));
            Assert.Equal(new[] { NodeStatus.Completed, NodeStatus.Failed, NodeStatus.Completed }, reloaded.Select(r => r.Status));
            var failed = reloaded[1];
            var live = session.History[1];
            Assert.Equal(live.StartedAt, failed.StartedAt);
            Assert.Equal(live.Duration, failed.Duration);
            Assert.Equal(new[] { "fetch", "report" }, failed.Steps.Select(s => s.Name));
            Assert.Equal(new[] { NodeStatus.Completed, NodeStatus.Failed }, failed.Steps.Select(s => s.Status));
            Assert.Equal(new[] { "a" }, failed.Steps[0].KeysChanged);
            var error = Assert.IsType<RecordedErrorException>(failed.Steps[1].Error);
            Assert.Equal("AgnoStepFailed", error.ErrorId);
            Assert.Contains("the printer is on fire", error.Message);
            Assert.Contains("the printer is on fire", failed.Error!.Message);
            Assert.Equal(3, Process().ListRuns("s").Count);
            Assert.Equal(2, Process().ListRuns("s", last: 2).Count);
        }

        [Fact]
        public async Task A_run_still_going_shows_in_another_process_as_running_with_the_steps_it_completed()
        {
            var inStepTwo = TestSupport.NewGate();
            var release = TestSupport.NewGate();
            var workflow = new Workflow("nightly")
                .AddStep(TestSupport.SetStep("one", "a", 1))
                .AddStep(new Step("two", async (s, _) => { inStepTwo.SetResult(); await release.Task; }));
            var running = workflow.ExecuteAsync(Process().OpenSession("s"));
            await inStepTwo.Task.Guarded();

            var run = Process().ListRuns("s").Single();
            Assert.Equal(NodeStatus.Running, run.Status);
            Assert.Equal(new[] { "one" }, run.Steps.Select(s => s.Name));
            Assert.Equal(NodeStatus.Completed, run.Steps[0].Status);

            release.SetResult();
            await running.Guarded();
            Assert.Equal(NodeStatus.Completed, Process().ListRuns("s").Single().Status);
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

        // ---------------------------------------------------------------- stress, against a model

        /// <summary>
        /// Six threads, in pairs sharing one store (connection), each with session objects of its own,
        /// do random work on one session: Sum increments (read-then-set, atomic edits, and steps),
        /// Append, and sets and removals of keys only they write. The store must end as the model says:
        /// every increment and every appended item counted once, each owned key as its writer left it.
        /// </summary>
        [Fact]
        public async Task Many_threads_and_connections_on_one_session_lose_no_change()
        {
            const int threads = 6, operations = 60;
            var policy = new MergePolicy().WithReducer("counter", Reducers.Sum()).WithReducer("log", Reducers.Append());
            var setup = Process().OpenSession("stress");
            setup.State.Change(s => { s.Set("counter", 0); s.Set("log", new object[0]); });
            var stores = Enumerable.Range(0, threads / 2).Select(_ => Process()).ToArray();
            var increments = new int[threads];
            var appended = new List<string>[threads];
            var owned = new Dictionary<string, int?>[threads];
            using var start = new Barrier(threads);

            var workers = Enumerable.Range(0, threads).Select(t => Task.Run(async () =>
            {
                var random = new Random(t * 7919);
                var session = stores[t / 2].OpenSession("stress");
                session.MergePolicy = policy;
                appended[t] = new List<string>();
                owned[t] = new Dictionary<string, int?>();
                start.SignalAndWait();
                for (int i = 0; i < operations; i++)
                {
                    switch (random.Next(5))
                    {
                        case 0:
                            session.State.Set("counter", (int)session.State.Get("counter")! + 1);
                            increments[t]++;
                            break;
                        case 1:
                            session.State.Change(s => s.Set("counter", (int)s.Get("counter")! + 1));
                            increments[t]++;
                            break;
                        case 2:
                            await Add("counter", 1).ExecuteAsync(session);
                            increments[t]++;
                            break;
                        case 3:
                            var item = $"t{t}-{i}";
                            session.State.Change(s => s.Set("log", ((object[])s.Get("log")!).Append(item).ToArray()));
                            appended[t].Add(item);
                            break;
                        default:
                            var key = $"t{t}-k{random.Next(4)}";
                            if (random.Next(3) == 0) { session.State.Remove(key); owned[t][key] = null; }
                            else { session.State.Set(key, i); owned[t][key] = i; }
                            break;
                    }
                }
            })).ToArray();
            await Task.WhenAll(workers).WaitAsync(TimeSpan.FromMinutes(3));

            var final = Process().OpenSession("stress").State;
            Assert.Equal(increments.Sum(), final.Get("counter"));
            var log = ((object[])final.Get("log")!).Cast<string>().ToList();
            Assert.Equal(appended.SelectMany(a => a).OrderBy(x => x), log.OrderBy(x => x));
            for (int t = 0; t < threads; t++)
            {
                Assert.Equal(appended[t], log.Where(x => x.StartsWith($"t{t}-")).ToList()); // each writer's items in its order
                foreach (var (key, value) in owned[t])
                {
                    if (value == null) Assert.False(final.ContainsKey(key), key);
                    else Assert.Equal(value, final.Get(key));
                }
            }
            var expectedKeys = 2 + owned.Sum(o => o.Count(kv => kv.Value != null));
            Assert.Equal(expectedKeys, final.Count);
        }
    }
}
