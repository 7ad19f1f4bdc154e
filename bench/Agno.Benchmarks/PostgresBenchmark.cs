using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Agno.Core;
using Agno.Storage.PostgreSql;
using Npgsql;

namespace Agno.Benchmarks
{
    /// <summary>
    /// The PostgreSQL store (issue 13), over the unix socket and over TCP, beside the SQLite store, and
    /// against a bare Npgsql transaction writing the same rows into tables of the same shape (the
    /// version index included). Interleaved rounds compared by medians, as <see cref="StoreBenchmark"/>;
    /// then the throughput of four writers committing at once, to one session and to a session each.
    /// The server is the one in $env:AGNO_TEST_SERVERS (bench/Invoke-Benchmarks.ps1 starts one, as
    /// build.ps1 test does). Writes postgres.json.
    /// <code>
    /// dotnet run -c Release --project bench/Agno.Benchmarks -- --postgres [--quick] [--out &lt;folder&gt;]
    /// </code>
    /// </summary>
    public static class PostgresBenchmark
    {
        private const int ManyKeys = 50;

        public static int Run(string outDir, bool quick)
        {
            var servers = Environment.GetEnvironmentVariable("AGNO_TEST_SERVERS");
            using var document = JsonDocument.Parse(string.IsNullOrEmpty(servers) ? "{}" : servers);
            if (!document.RootElement.TryGetProperty("Postgres", out var server) || server.ValueKind != JsonValueKind.Object)
            {
                Console.Error.WriteLine("No PostgreSQL server: set $env:AGNO_TEST_SERVERS as build.ps1 test does (bench/Invoke-Benchmarks.ps1 starts one).");
                return 2;
            }
            var via = new (string Name, string ConnectionString)[]
            {
                ("socket", server.GetProperty("SocketConnectionString").GetString()!),
                ("TCP", server.GetProperty("ConnectionString").GetString()!),
            };
            var folder = Path.Combine(outDir, "postgres-files");
            if (Directory.Exists(folder)) Directory.Delete(folder, true);
            Directory.CreateDirectory(folder);
            int commits = quick ? 20 : 1000, concurrent = quick ? 10 : 100, samples = quick ? 1 : 3;
            var results = new List<StoreBenchmark.Result>();
            string serverVersion;
            using (var connection = new NpgsqlConnection(via[0].ConnectionString))
            {
                connection.Open();
                serverVersion = "PostgreSQL " + connection.ServerVersion;
            }

            using var sqlite = new SqliteSessionStore(Path.Combine(folder, "agno.db"));
            // A schema of its own for each variant: the socket's and TCP's sessions are not one session.
            string Schema(string kind, int i) => $"bench_{kind}_{via[i].Name.ToLowerInvariant()}";
            var stores = via.Select((v, i) => new PostgresSessionStore(InSchema(v.ConnectionString, Schema("store", i)))).ToList();
            var bare = via.Select((v, i) => new BareTransaction(InSchema(v.ConnectionString, Schema("bare", i)))).ToList();
            try
            {
                var sessions = stores.Select(s => s.OpenSession("bench")).Append(sqlite.OpenSession("bench")).ToList();
                var names = via.Select(v => $"Agno PostgreSQL store ({v.Name})").Append("Agno SQLite store").ToList();
                int value = 0;
                var oneKey = sessions.Select((s, i) => (names[i], (Action)(() => s.State.Set("k", ++value))))
                    .Concat(bare.Select((b, i) => ($"bare Npgsql transaction ({via[i].Name})", (Action)(() => b.Commit(1, ++value)))));
                results.AddRange(StoreBenchmark.Interleave("commit of one key (Set)", "ms", commits, oneKey.ToArray()));

                var payload = new string('x', 200);
                var manyKeys = sessions.Select((s, i) => (names[i], (Action)(() =>
                    {
                        int round = ++value;
                        s.State.Change(state => { for (int k = 0; k < ManyKeys; k++) state.Set("k" + k, payload + round); });
                    })))
                    .Concat(bare.Select((b, i) => ($"bare Npgsql transaction ({via[i].Name})", (Action)(() => b.Commit(ManyKeys, ++value)))));
                results.AddRange(StoreBenchmark.Interleave($"commit of a {ManyKeys}-key step", "ms", commits, manyKeys.ToArray()));

                var step = new Step("step", s => { for (int k = 0; k < ManyKeys; k++) s.State.Set("k" + k, payload + Interlocked.Increment(ref value)); });
                results.AddRange(StoreBenchmark.Interleave($"one-step run of {ManyKeys} keys (commit and run record)", "ms", commits / 4,
                    sessions.Select((s, i) => (names[i], (Action)(() => step.ExecuteAsync(s).GetAwaiter().GetResult()))).ToArray()));

                var reads = sessions.Select((s, i) => (names[i], (Action)(() => s.State.Get("k")))).ToArray();
                results.AddRange(StoreBenchmark.Interleave("read of one key (Get), nothing changed", "ms", commits, reads));

                for (int i = 0; i < names.Count; i++)
                {
                    var connectionString = i < stores.Count ? new NpgsqlConnectionStringBuilder(via[i].ConnectionString) { SearchPath = Schema("store", i) }.ConnectionString : null;
                    ISessionStore Open() => connectionString != null ? new PostgresSessionStore(connectionString) : new SqliteSessionStore(Path.Combine(folder, "agno.db"));
                    foreach (bool shared in new[] { true, false })
                    {
                        results.Add(Throughput(names[i], Open, shared, 1, concurrent, samples));
                        results.Add(Throughput(names[i], Open, shared, ManyKeys, concurrent / 2, samples));
                    }
                }
            }
            finally
            {
                foreach (var s in stores) s.Dispose();
                foreach (var b in bare) b.Dispose();
            }

            foreach (var r in results) r.Benchmark = "Postgres";
            var file = Path.Combine(outDir, "postgres.json");
            File.WriteAllText(file, JsonSerializer.Serialize(new { Quick = quick, ServerVersion = serverVersion, Results = results }, new JsonSerializerOptions { WriteIndented = true }));
            foreach (var r in results) Console.WriteLine($"{r.Case,-50} {r.Variant,-40} median {r.Median,10:N3} {r.Unit} (min {r.Min:N3}, max {r.Max:N3})");
            Console.WriteLine($"PostgreSQL results written to {file}");
            return 0;
        }

        /// <summary>A connection string whose search path is <paramref name="schema"/>, made anew.</summary>
        private static string InSchema(string connectionString, string schema)
        {
            using (var connection = new NpgsqlConnection(connectionString))
            {
                connection.Open();
                using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}", connection);
                drop.ExecuteNonQuery();
            }
            return new NpgsqlConnectionStringBuilder(connectionString) { SearchPath = schema }.ConnectionString;
        }

        /// <summary>
        /// Four writers (stores of their own, as four machines) each committing <paramref name="keys"/> keys
        /// of their own, <paramref name="each"/> times, to one session (<paramref name="shared"/>: its commits
        /// are serialized) or to a session each (they need not wait for each other): commits per second, all
        /// writers together, in <paramref name="samples"/> samples. Each writer first commits a few times
        /// unmeasured, so that its pool holds a connection with the statements prepared.
        /// </summary>
        private static StoreBenchmark.Result Throughput(string name, Func<ISessionStore> open, bool shared, int keys, int each, int samples)
        {
            const int writers = 4, warmUp = 5;
            var stores = Enumerable.Range(0, writers).Select(_ => open()).ToList();
            try
            {
                var sessions = stores.Select((s, w) => s.OpenSession(shared ? "throughput" : $"throughput{w}")).ToList();
                var perSecond = new List<double>();
                for (int sample = 0; sample < samples; sample++)
                {
                    using var start = new Barrier(writers + 1);
                    var tasks = sessions.Select((s, w) => Task.Run(() =>
                    {
                        for (int i = sample == 0 ? -warmUp : 0; i < each; i++)
                        {
                            if (i == 0) start.SignalAndWait();
                            if (keys == 1) s.State.Set($"w{w}", i);
                            else s.State.Change(state => { for (int k = 0; k < keys; k++) state.Set($"w{w}k{k}", i); });
                        }
                    })).ToArray();
                    start.SignalAndWait();
                    var clock = Stopwatch.StartNew();
                    Task.WaitAll(tasks);
                    perSecond.Add(writers * each / clock.Elapsed.TotalSeconds);
                }
                perSecond.Sort();
                var what = keys == 1 ? "one-key commits (Set)" : $"{keys}-key commits";
                return new StoreBenchmark.Result
                {
                    Case = $"throughput: {writers} writers, {(shared ? "one session" : "a session each")}, {what}",
                    Variant = name,
                    Unit = "commits/s",
                    Median = perSecond[perSecond.Count / 2],
                    Min = perSecond[0],
                    Max = perSecond[perSecond.Count - 1],
                    Samples = perSecond.Count,
                };
            }
            finally
            {
                foreach (var s in stores) s.Dispose();
            }
        }

        /// <summary>
        /// The rows a commit of the store writes (its keys' rows with their version, the session's version),
        /// into tables of the same shape and indexes, in one plain transaction: BEGIN with the upsert of the
        /// rows and the version's update (one round trip), then COMMIT. The floor the store's commit is held to.
        /// </summary>
        private sealed class BareTransaction : IDisposable
        {
            private readonly NpgsqlDataSource _source;
            private long _version;

            public BareTransaction(string connectionString)
            {
                // Prepared once per connection, as the store's statements are.
                _source = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { MaxAutoPrepare = 32 }.ConnectionString);
                using var connection = _source.OpenConnection();
                using var create = new NpgsqlCommand(@"
                    CREATE TABLE sessions (session_key text PRIMARY KEY, version bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
                    CREATE TABLE state (session_key text NOT NULL, key_norm text NOT NULL, key text NOT NULL, value text, version bigint NOT NULL, PRIMARY KEY (session_key, key_norm));
                    CREATE INDEX state_by_version ON state (session_key, version);
                    INSERT INTO sessions VALUES ('BENCH', 0);", connection);
                create.ExecuteNonQuery();
            }

            public void Commit(int keys, int value)
            {
                _version++;
                var json = "{\"t\":\"str\",\"v\":\"" + new string('x', keys > 1 ? 200 : 0) + value + "\"}";
                using var connection = _source.OpenConnection();
                using var transaction = connection.BeginTransaction();
                using var batch = new NpgsqlBatch(connection, transaction);
                var upsert = new NpgsqlBatchCommand(@"INSERT INTO state (session_key, key_norm, key, value, version)
                    SELECT 'BENCH', k, d, v, $4 FROM unnest($1::text[], $2::text[], $3::text[]) AS t(k, d, v)
                    ON CONFLICT (session_key, key_norm) DO UPDATE SET value = excluded.value, version = excluded.version");
                upsert.Parameters.Add(new NpgsqlParameter { Value = Enumerable.Range(0, keys).Select(k => "K" + k).ToArray() });
                upsert.Parameters.Add(new NpgsqlParameter { Value = Enumerable.Range(0, keys).Select(k => "k" + k).ToArray() });
                upsert.Parameters.Add(new NpgsqlParameter { Value = Enumerable.Repeat(json, keys).ToArray() });
                upsert.Parameters.Add(new NpgsqlParameter { Value = _version });
                var version = new NpgsqlBatchCommand("UPDATE sessions SET version = $1, updated_at = now() WHERE session_key = 'BENCH'");
                version.Parameters.Add(new NpgsqlParameter { Value = _version });
                batch.BatchCommands.Add(upsert);
                batch.BatchCommands.Add(version);
                batch.ExecuteNonQuery();
                transaction.Commit();
            }

            public void Dispose() => _source.Dispose();
        }
    }
}
