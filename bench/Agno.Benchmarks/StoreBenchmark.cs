using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using Agno.Core;
using Microsoft.Data.Sqlite;

namespace Agno.Benchmarks
{
    /// <summary>
    /// The SQLite store against a bare Microsoft.Data.Sqlite transaction writing the same rows, and a
    /// stored session's read (its version check) against a read in memory. Not BenchmarkDotNet: a
    /// commit is mostly an fsync, whose time on a shared disk drifts from one minute to the next, so
    /// the variants of each case run interleaved, one operation each per round, in one process, and
    /// are compared by their medians. Writes store.json (the module benchmarks' format).
    /// <code>
    /// dotnet run -c Release --project bench/Agno.Benchmarks -- --store [--quick] [--out &lt;folder&gt;]
    /// </code>
    /// </summary>
    public static class StoreBenchmark
    {
        private sealed class Result
        {
            public string Benchmark { get; set; } = "Store";
            public string Case { get; set; } = "";
            public string Variant { get; set; } = "";
            public string Unit { get; set; } = "";
            public double Median { get; set; }
            public double Min { get; set; }
            public double Max { get; set; }
            public int Samples { get; set; }
        }

        public static int Run(string outDir, bool quick)
        {
            // On the disk of the results, not a tmpfs: a commit's cost is its fsync.
            var folder = Path.Combine(outDir, "store-files");
            if (Directory.Exists(folder)) Directory.Delete(folder, true);
            Directory.CreateDirectory(folder);
            int commits = quick ? 20 : 1500, reads = quick ? 200 : 50_000, steps = quick ? 20 : 1000;
            var results = new List<Result>();

            using var store = new SqliteSessionStore(Path.Combine(folder, "agno.db"));
            var stored = store.OpenSession("bench");
            stored.State.Set("k", 0);
            using var bare = new BareStore(Path.Combine(folder, "bare.db"));
            int value = 0;
            results.AddRange(Interleave("commit of one key (Set)", "ms", commits,
                ("Agno SqliteSessionStore", () => stored.State.Set("k", ++value)),
                ("bare Microsoft.Data.Sqlite transaction", () => bare.Commit(++value))));

            var memory = AgnoSession.Create();
            memory.State.Set("k", 0);
            results.AddRange(Interleave("read of one key (Get), nothing changed", "ns", reads,
                ("stored session (version check)", () => stored.State.Get("k")),
                ("session in memory", () => memory.State.Get("k"))));

            var step = new Step("step", s => s.State.Set("k", 1));
            results.AddRange(Interleave("one-step run (engine, C# step)", "ms", steps,
                ("stored session", () => step.ExecuteAsync(stored).GetAwaiter().GetResult()),
                ("session in memory", () => step.ExecuteAsync(memory).GetAwaiter().GetResult()),
                ("two bare commits", () => { bare.Commit(++value); bare.Commit(++value); })));

            var file = Path.Combine(outDir, "store.json");
            File.WriteAllText(file, JsonSerializer.Serialize(new { Quick = quick, Results = results }, new JsonSerializerOptions { WriteIndented = true }));
            foreach (var r in results) Console.WriteLine($"{r.Case,-40} {r.Variant,-40} median {r.Median,12:N3} {r.Unit} (min {r.Min:N3}, max {r.Max:N3})");
            Console.WriteLine($"Store results written to {file}");
            return 0;
        }

        /// <summary>Warms each variant up, then runs them one after another, round by round.</summary>
        private static IEnumerable<Result> Interleave(string caseName, string unit, int rounds, params (string Name, Action Run)[] variants)
        {
            var samples = variants.Select(_ => new List<double>(rounds)).ToArray();
            double scale = unit == "ns" ? 1e9 / Stopwatch.Frequency : 1e3 / Stopwatch.Frequency;
            for (int round = -Math.Max(1, rounds / 10); round < rounds; round++)
            {
                for (int v = 0; v < variants.Length; v++)
                {
                    long start = Stopwatch.GetTimestamp();
                    variants[v].Run();
                    long elapsed = Stopwatch.GetTimestamp() - start;
                    if (round >= 0) samples[v].Add(elapsed * scale);
                }
            }
            for (int v = 0; v < variants.Length; v++)
            {
                var sorted = samples[v].OrderBy(x => x).ToList();
                yield return new Result
                {
                    Case = caseName,
                    Variant = variants[v].Name,
                    Unit = unit,
                    Median = sorted[sorted.Count / 2],
                    Min = sorted[0],
                    Max = sorted[sorted.Count - 1],
                    Samples = sorted.Count,
                };
            }
        }

        /// <summary>
        /// The rows a one-key commit of the store writes (the value's row with its version, the
        /// session's version), in one transaction of the same kind (BEGIN IMMEDIATE, WAL,
        /// synchronous FULL), with statements prepared once: the floor of the store's commit.
        /// </summary>
        private sealed class BareStore : IDisposable
        {
            private readonly SqliteConnection _connection;
            private readonly SqliteCommand _begin, _value, _version, _commit;
            private long _sessionVersion;

            public BareStore(string path)
            {
                _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
                _connection.Open();
                foreach (var sql in new[]
                {
                    "PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL",
                    "CREATE TABLE sessions (session_id TEXT PRIMARY KEY, version INTEGER NOT NULL, updated_at TEXT NOT NULL)",
                    "CREATE TABLE state (session_id TEXT NOT NULL, key_norm TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (session_id, key_norm))",
                    "INSERT INTO sessions VALUES ('bench', 0, '')",
                })
                {
                    using var command = _connection.CreateCommand();
                    command.CommandText = sql;
                    command.ExecuteNonQuery();
                }
                _begin = Prepare("BEGIN IMMEDIATE");
                _value = Prepare(@"INSERT INTO state VALUES ('bench', 'K', 'k', $v, $ver)
                    ON CONFLICT (session_id, key_norm) DO UPDATE SET value = excluded.value, version = excluded.version", "$v", "$ver");
                _version = Prepare("UPDATE sessions SET version = $ver, updated_at = $now WHERE session_id = 'bench'", "$ver", "$now");
                _commit = Prepare("COMMIT");
            }

            private SqliteCommand Prepare(string sql, params string[] parameters)
            {
                var command = _connection.CreateCommand();
                command.CommandText = sql;
                foreach (var name in parameters) command.Parameters.Add(new SqliteParameter { ParameterName = name, Value = "" });
                return command;
            }

            public void Commit(int value)
            {
                _begin.ExecuteNonQuery();
                _sessionVersion++;
                _value.Parameters[0].Value = "{\"t\":\"i32\",\"v\":" + value + "}";
                _value.Parameters[1].Value = _sessionVersion;
                _value.ExecuteNonQuery();
                _version.Parameters[0].Value = _sessionVersion;
                _version.Parameters[1].Value = DateTimeOffset.Now.ToString("o");
                _version.ExecuteNonQuery();
                _commit.ExecuteNonQuery();
            }

            public void Dispose()
            {
                foreach (var command in new[] { _begin, _value, _version, _commit }) command.Dispose();
                _connection.Dispose();
            }
        }
    }
}
