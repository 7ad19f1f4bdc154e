using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Agno.Core;
using Xunit;

namespace Agno.Tests
{
    /// <summary>
    /// The contract every persistent store keeps, run against each (<see cref="SqliteStoreContractTests"/>,
    /// <see cref="PostgresStoreContractTests"/>): several store objects on one store stand for several
    /// processes (each has its own connection, as each process has), and they must never lose a change,
    /// show a stale read, or resolve a conflict but by the session's rules.
    /// </summary>
    public abstract class StoreContractTests : IDisposable
    {
        private readonly List<IDisposable> _opened = new List<IDisposable>();

        /// <summary>A new store object on this test's store: another "process".</summary>
        protected abstract ISessionStore OpenStore();

        /// <summary>Overwrites a stored value's text behind the store's back (as a tampered or foreign row would be).</summary>
        protected abstract void CorruptValue(string sessionId, string key, string json);

        /// <summary>Marks the store as written by a newer Agno (its schema version).</summary>
        protected abstract void SetSchemaVersion(int version);

        protected ISessionStore Process()
        {
            var store = OpenStore();
            _opened.Add(store);
            return store;
        }

        public virtual void Dispose()
        {
            foreach (var store in _opened) store.Dispose();
        }

        private static Step Add(string key, int amount) => new Step("add " + amount, s => s.State.Set(key, (int)s.State.Get(key)! + amount));

        // ---------------------------------------------------------------- no lost update, no stale read

        [StoreFact]
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

        [StoreFact]
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

        [StoreFact]
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

        [StoreFact]
        public void Two_commits_changing_a_key_from_one_base_conflict_and_the_session_rules_resolve_it()
        {
            foreach (var (strategy, kept) in new[] { (MergeStrategy.LastWriteWins, "b"), (MergeStrategy.FirstWriteWins, "a") })
            {
                var id = strategy.ToString();
                var a = Process().OpenSession(id);
                a.State.Set("k", "base");
                var b = Process().OpenSession(id);
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
                Assert.StartsWith($"AgnoStoreConflict: key 'k' of session '{id}'", conflict.Message);
                Assert.Contains($"(version {first.Version})", conflict.Message);
                Assert.Equal(kept, b.State.Get("k"));
                Assert.Equal(kept, Process().OpenSession(id).State.Get("k"));
            }
        }

        [StoreFact]
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

        [StoreFact]
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

        [StoreFact]
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

        [StoreFact]
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

        [StoreFact]
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

        // ---------------------------------------------------------------- sessions

        [StoreFact]
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

        [StoreFact]
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

        [StoreFact]
        public void Input_given_when_reopening_is_applied_and_stored_and_kept_when_not_given()
        {
            Process().OpenSession("s", input: "first");
            Assert.Equal("second", Process().OpenSession("s", input: "second").Input);
            Assert.Equal("second", Process().OpenSession("s").Input);
        }

        [StoreFact]
        public async Task Run_history_is_reloaded_by_another_process_bounded_with_each_nodes_record_and_error()
        {
            var session = Process().OpenSession("s", historyLimit: 3);
            var ok = new Workflow("nightly").AddStep(TestSupport.SetStep("fetch", "a", 1)).AddStep(TestSupport.SetStep("report", "b", 2));
            for (int i = 0; i < 3; i++) await ok.ExecuteAsync(session).Guarded();
            var failing = new Workflow("nightly").AddStep(TestSupport.SetStep("fetch", "a", 3)).AddStep(TestSupport.FailStep("report", "the printer is on fire"));
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

        [StoreFact]
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

        // ---------------------------------------------------------------- stress, against a model

        /// <summary>
        /// Six threads, in pairs sharing one store (connection), each with session objects of its own,
        /// do random work on one session: Sum increments (read-then-set, atomic edits, and steps),
        /// Append, and sets and removals of keys only they write. The store must end as the model says:
        /// every increment and every appended item counted once, each owned key as its writer left it.
        /// </summary>
        [StoreFact]
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

        // ---------------------------------------------------------------- values, users, schema, resume, compaction

        [StoreFact]
        public void Every_kind_of_value_comes_back_from_another_process_with_its_type()
        {
            var values = StoreTests.Values().Select(v => v[0]).ToList();
            Process().OpenSession("typed").State.Change(s => { for (int i = 0; i < values.Count; i++) s.Set("v" + i, values[i]); });
            var back = Process().OpenSession("typed").State;
            for (int i = 0; i < values.Count; i++)
            {
                var value = back.Get("v" + i);
                Assert.Equal(values[i]?.GetType(), value?.GetType());
                Assert.True(DefaultValueCopier.Instance.AreEqual(values[i], value), $"{values[i]} came back as {value}");
            }
            var ordered = new OrderedDictionary(StringComparer.OrdinalIgnoreCase) { ["z"] = 1, ["a"] = 2 };
            Process().OpenSession("typed").State.Set("o", ordered);
            var reread = (OrderedDictionary)Process().OpenSession("typed").State.Get("o")!;
            Assert.Equal(new object[] { "z", "a" }, reread.Keys.Cast<object>());
            Assert.True(reread.Contains("Z"));
        }

        [StoreFact]
        public void User_ids_are_checked_both_ways_for_sessions_and_their_runs()
        {
            Process().OpenSession("owned", "alice").State.Set("secret", "s3cr3t");
            Process().OpenSession("shared").State.Set("open", 1);

            var mallory = Assert.Throws<StoreException>(() => Process().OpenSession("owned", "mallory"));
            Assert.Equal("AgnoSessionUserMismatch", mallory.ErrorId);
            Assert.Contains("alice", mallory.Message);
            var withoutUser = Assert.Throws<StoreException>(() => Process().OpenSession("owned"));
            Assert.DoesNotContain("s3cr3t", withoutUser.Message);
            Assert.Contains("without a UserId", Assert.Throws<StoreException>(() => Process().OpenSession("shared", "alice")).Message);
            Assert.Equal("AgnoSessionUserMismatch", Assert.Throws<StoreException>(() => Process().ListRuns("owned")).ErrorId);
            Assert.Equal("AgnoSessionUserMismatch", Assert.Throws<StoreException>(() => Process().ListRuns("shared", "alice")).ErrorId);

            Assert.Equal("s3cr3t", Process().OpenSession("owned", "alice").State.Get("secret"));
            Assert.Equal(new[] { "owned", "shared" }, Process().ListSessions().Select(i => i.SessionId));
            Assert.Equal(new[] { "owned" }, Process().ListSessions("alice").Select(i => i.SessionId));
        }

        [StoreFact]
        public async Task Resume_in_another_process_skips_the_steps_an_unfinished_run_completed()
        {
            int firstRuns = 0;
            bool failSecond = true;
            Workflow Build() => new Workflow("wf")
                .AddStep(new Step("one", s => { Interlocked.Increment(ref firstRuns); s.State.Set("one", 1); }))
                .AddStep(new Step("two", s => { if (failSecond) throw new InvalidOperationException("down"); s.State.Set("two", 2); }));

            await Assert.ThrowsAsync<StepFailedException>(() => Build().ExecuteAsync(Process().OpenSession("s")).Guarded());
            failSecond = false;
            var run = await Build().ExecuteAsync(Process().OpenSession("S"), default, new RunOptions { Resume = true }).Guarded();

            Assert.Equal(1, firstRuns);
            Assert.True(run.IsResumed);
            Assert.Equal(new[] { NodeStatus.Skipped, NodeStatus.Completed }, run.Steps.Select(s => s.Status));
            Assert.Equal(2, Process().OpenSession("s").State.Get("two"));
            Assert.Equal(NodeStatus.Completed, Process().ListRuns("s").Single().Status);
        }

        [StoreFact]
        public void A_value_with_an_unknown_type_tag_fails_to_load_naming_key_and_tag()
        {
            Process().OpenSession("s").State.Set("bad", 1);
            CorruptValue("s", "bad", "{\"t\":\"System.Diagnostics.Process\",\"v\":\"calc\"}");
            var e = Assert.Throws<StoreException>(() => Process().OpenSession("s"));
            Assert.Equal("AgnoStoreValueUnreadable", e.ErrorId);
            Assert.Contains("'bad'", e.Message);
            Assert.Contains("System.Diagnostics.Process", e.Message);
        }

        [StoreFact]
        public void A_store_of_a_newer_schema_is_refused_and_left_as_it_is()
        {
            Process().OpenSession("s").State.Set("k", 1);
            SetSchemaVersion(99);
            var e = Assert.Throws<StoreException>(() => Process());
            Assert.Equal("AgnoStoreSchemaNewer", e.ErrorId);
            Assert.Contains("99", e.Message);
        }

        [StoreFact]
        public void After_Optimize_a_session_object_that_has_not_looked_since_reloads_whole()
        {
            var writer = Process().OpenSession("keep");
            writer.State.Set("a", 1);
            writer.State.Set("b", 2);
            var stale = Process().OpenSession("keep");
            Assert.Equal(1, stale.State.Get("a"));
            writer.State.Remove("a");

            Process().Optimize();

            Assert.False(stale.State.ContainsKey("a")); // the removal's record is gone: it reloaded whole
            Assert.Equal(new[] { "b" }, stale.State.Keys);
            stale.State.Set("c", 3);
            Assert.Equal(new[] { "b", "c" }, Process().OpenSession("keep").State.Keys);
            Assert.True(Process().SpaceUsed() > 0);
        }
    }
}
