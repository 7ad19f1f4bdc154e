using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Agno.Core;
using Agno.Storage.PostgreSql;
using Npgsql;
using Xunit;

namespace Agno.Tests
{
    /// <summary>
    /// What the PostgreSQL store does beyond the contract: its errors (each naming the server, never the
    /// password), per-session locking, its schema table, its connection pool, and commits that meet a
    /// connection cut in the middle (saved once, never twice).
    /// </summary>
    public sealed class PostgresStoreTests : IUsesPostgres, IDisposable
    {
        private readonly string? _schema;
        private readonly string _store = "";
        private readonly List<IDisposable> _opened = new List<IDisposable>();

        public PostgresStoreTests()
        {
            if (TestPostgres.SkipReason != null) return;
            (_schema, _store) = TestPostgres.NewSchema();
        }

        public void Dispose()
        {
            foreach (var store in _opened) store.Dispose();
            if (_schema != null) TestPostgres.DropSchema(_schema);
        }

        private PostgresSessionStore Open(string? store = null, TimeSpan? retryFor = null)
        {
            var opened = new PostgresSessionStore(store ?? _store, retryFor: retryFor);
            _opened.Add(opened);
            return opened;
        }

        private string With(Action<NpgsqlConnectionStringBuilder> change)
        {
            var builder = new NpgsqlConnectionStringBuilder(_store);
            change(builder);
            return builder.ConnectionString;
        }

        private static void AssertNoPassword(Exception e)
        {
            for (var inner = e; inner != null; inner = inner.InnerException)
            {
                Assert.DoesNotContain(TestPostgres.Password, inner.Message);
                Assert.DoesNotContain(TestPostgres.Password, inner.ToString());
            }
        }

        [StoreFact]
        public void A_refused_connection_fails_within_seconds_naming_host_and_port_and_never_the_password()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            int closed = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop(); // nothing listens there now
            var clock = Stopwatch.StartNew();

            var e = Assert.Throws<StoreException>(() => Open(With(b => b.Port = closed)));

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
            Assert.Equal("AgnoStoreUnavailable", e.ErrorId);
            Assert.Equal(AgnoErrorKind.ResourceUnavailable, e.Kind);
            Assert.Contains($"127.0.0.1:{closed}", e.Message);
            Assert.Contains("Connection refused", e.Message);
            AssertNoPassword(e);
        }

        [StoreFact]
        public void A_wrong_or_missing_password_and_a_missing_database_have_their_own_errors()
        {
            var wrong = Assert.Throws<StoreException>(() => Open(With(b => b.Password = "not-" + TestPostgres.Password)));
            Assert.Equal("AgnoStoreAuthenticationFailed", wrong.ErrorId);
            Assert.Equal(AgnoErrorKind.PermissionDenied, wrong.Kind);
            Assert.Contains($"127.0.0.1:{TestPostgres.Port}", wrong.Message);
            Assert.Contains("user 'agno'", wrong.Message);
            Assert.Contains("PGPASSWORD", wrong.Message);
            AssertNoPassword(wrong);

            var none = Assert.Throws<StoreException>(() => Open(With(b => b.Password = null)));
            Assert.Equal("AgnoStoreAuthenticationFailed", none.ErrorId);
            Assert.Contains("none was given", none.Message);

            var database = Assert.Throws<StoreException>(() => Open(With(b => b.Database = "nosuchdb")));
            Assert.Equal("AgnoStoreDatabaseNotFound", database.ErrorId);
            Assert.Equal(AgnoErrorKind.NotFound, database.Kind);
            Assert.Contains("'nosuchdb'", database.Message);
            AssertNoPassword(database);
        }

        [StoreFact]
        public void Listing_a_database_without_a_store_is_refused_and_creates_nothing()
        {
            var e = Assert.Throws<StoreException>(() => new PostgresSessionStore(_store, creation: StoreCreation.None));
            Assert.Equal("AgnoStoreNotFound", e.ErrorId);
            Assert.Null(TestPostgres.Scalar<string>($"SELECT to_regclass('{_schema}.agno_schema')::text"));
        }

        [StoreFact]
        public void The_schema_table_records_the_version_and_the_migration_applied()
        {
            Open();
            Open(); // a second opening finds it and changes nothing
            Assert.Equal(1L, TestPostgres.Scalar<long>($"SELECT count(*) FROM {_schema}.agno_schema"));
            Assert.Equal(PostgresSessionStore.SchemaVersion, TestPostgres.Scalar<int>($"SELECT max(version) FROM {_schema}.agno_schema"));
            Assert.Contains("tombstones", TestPostgres.Scalar<string>($"SELECT description FROM {_schema}.agno_schema"));
        }

        /// <summary>Holds session <paramref name="sessionId"/>'s row locked, as a commit in another process would, until disposed.</summary>
        private IDisposable LockSession(string sessionId)
        {
            var connection = new NpgsqlConnection(_store);
            connection.Open();
            var transaction = connection.BeginTransaction();
            using var command = new NpgsqlCommand($"SELECT 1 FROM {_schema}.agno_sessions WHERE session_key = $1 FOR UPDATE", connection, transaction);
            command.Parameters.Add(new NpgsqlParameter { Value = sessionId.ToUpperInvariant() });
            Assert.Equal(1, command.ExecuteScalar());
            return connection;
        }

        [StoreFact]
        public async Task A_commit_waits_only_for_its_own_sessions_writers_and_readers_never_wait()
        {
            var store = Open();
            var a = store.OpenSession("a");
            var b = store.OpenSession("b");
            a.State.Set("k", 0);
            var reader = Open().OpenSession("a");

            Task commitToA;
            using (LockSession("a"))
            {
                commitToA = Task.Run(() => a.State.Set("k", 1));
                b.State.Set("k", 1);                  // another session: goes through at once
                Assert.Equal(0, reader.State.Get("k")); // a reader of the locked session: not blocked
                Assert.False(commitToA.IsCompleted);  // a writer of it: waits
            }
            await commitToA.Guarded();
            Assert.Equal(1, Open().OpenSession("a").State.Get("k"));
        }

        [StoreFact]
        public void A_statement_timeout_and_a_lock_timeout_are_errors_of_their_own_and_change_nothing()
        {
            Open().OpenSession("s").State.Set("k", 1);
            var timeout = Open(With(b => b.Options = "-c statement_timeout=300")).OpenSession("s");
            var busy = Open(With(b => b.Options = "-c lock_timeout=300")).OpenSession("s");
            using (LockSession("s"))
            {
                var e = Assert.Throws<StoreException>(() => timeout.State.Set("k", 2));
                Assert.Equal("AgnoStoreTimeout", e.ErrorId);
                Assert.Equal(AgnoErrorKind.Timeout, e.Kind);
                Assert.Contains("57014", e.Message);
                AssertNoPassword(e);
                e = Assert.Throws<StoreException>(() => busy.State.Set("k", 3));
                Assert.Equal("AgnoStoreBusy", e.ErrorId);
            }
            Assert.Equal(1, Open().OpenSession("s").State.Get("k"));
        }

        [StoreFact]
        public async Task Processes_creating_the_store_and_one_session_at_once_all_open_it_and_lose_no_key()
        {
            const int openers = 6;
            using var start = new Barrier(openers);
            var stores = new PostgresSessionStore[openers];
            await Task.WhenAll(Enumerable.Range(0, openers).Select(i => Task.Run(() =>
            {
                start.SignalAndWait();
                stores[i] = new PostgresSessionStore(_store); // the tables are not there yet: each process finds them missing
                stores[i].OpenSession("shared", "ops").State.Set("opener" + i, i);
            }))).Guarded();
            _opened.AddRange(stores);
            Assert.Equal(openers, Open().OpenSession("shared", "ops").State.Count);
            Assert.Single(Open().ListSessions());
        }

        [StoreFact]
        public async Task Commits_whose_connections_are_cut_are_retried_and_saved_once_never_twice()
        {
            var app = "agno-cut-" + Guid.NewGuid().ToString("N").Substring(0, 8);
            var store = Open(With(b => b.ApplicationName = app), retryFor: TimeSpan.FromSeconds(30));
            var session = store.OpenSession("counted");
            session.MergePolicy = new MergePolicy().WithReducer("n", Reducers.Sum());
            session.State.Set("n", 0);
            int saved = 0, cuts = 0;
            using var done = new CancellationTokenSource();

            var writer = Task.Run(() =>
            {
                for (int i = 0; i < 150; i++)
                {
                    session.State.Change(s => { s.Set("n", (int)s.Get("n")! + 1); s.Set("k" + i, i); });
                    saved++;
                }
                done.Cancel();
            });
            // Cuts the writer's connection over and over (as a server restart or a network drop would), at
            // whatever point of its transaction it is in.
            var cutter = Task.Run(() =>
            {
                for (int round = 0; round < 400 && !done.IsCancellationRequested; round++)
                {
                    cuts += (int)TestPostgres.Scalar<long>("SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1) t", app);
                    done.Token.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(5)); // pacing of the fault, not synchronisation
                }
            });
            await Task.WhenAll(writer, cutter).WaitAsync(TimeSpan.FromMinutes(3));

            Assert.True(cuts > 0, "no connection was cut");
            var check = Open().OpenSession("counted").State;
            Assert.Equal(saved, check.Get("n"));
            Assert.Equal(150, check.Count - 1);
        }

        [StoreFact]
        public void Disposing_the_store_closes_its_pooled_connections()
        {
            var app = "agno-pool-" + Guid.NewGuid().ToString("N").Substring(0, 8);
            var store = new PostgresSessionStore(With(b => b.ApplicationName = app));
            Parallel.For(0, 4, i => store.OpenSession("s" + i).State.Set("k", i));
            Assert.True(TestPostgres.Scalar<long>("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", app) > 0);

            store.Dispose();

            // The server drops a backend from pg_stat_activity once its process has exited, just after the close.
            var clock = Stopwatch.StartNew();
            long left;
            using var never = new ManualResetEventSlim();
            while ((left = TestPostgres.Scalar<long>("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", app)) > 0 && clock.Elapsed < TimeSpan.FromSeconds(10))
            {
                never.Wait(20); // a bounded poll of another process's state
            }
            Assert.Equal(0L, left);
            Assert.Equal("AgnoStoreClosed", Assert.Throws<StoreException>(() => store.ListSessions()).ErrorId);
        }
    }
}
