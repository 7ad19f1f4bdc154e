using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using Agno.Core;
using Npgsql;

namespace Agno.Storage.PostgreSql
{
    /// <summary>
    /// Sessions in a PostgreSQL database, shared by every machine that reaches it, with the protocol of
    /// every store (<see cref="SessionStoreBase"/>): versions, merges by the session's rules, runs.
    /// <list type="bullet">
    /// <item>A commit locks its session's row (<c>SELECT … FOR UPDATE</c>, READ COMMITTED), so commits to
    /// one session are serialized and commits to others never wait; readers never wait (one snapshot,
    /// REPEATABLE READ).</item>
    /// <item>Removed keys stay as tombstones (a NULL value at the removing version), so a reader loads only
    /// the rows written since the version it shows.</item>
    /// <item>Once the server has been reached, a failure a retry can fix (the server restarting, a dropped
    /// connection) is retried for a while. A COMMIT whose reply was lost is looked up by its transaction
    /// id, so a change is saved once or not at all, never twice.</item>
    /// <item>The tables are created on first use; <c>agno_schema</c> records the schema version and each
    /// migration applied, and a store of a newer schema is refused.</item>
    /// </list>
    /// Connections come from one Npgsql pool per store, closed by <see cref="Dispose"/>.
    /// </summary>
    public sealed class PostgresSessionStore : SessionStoreBase
    {
        public const int SchemaVersion = 1;

        // Held (for its transaction) by whoever creates or upgrades the tables: 'AgnoStor'.
        private const long SchemaLock = 0x41676E6F53746F72;

        private static readonly string[] Tables = { "agno_sessions", "agno_state", "agno_runs", "agno_run_nodes", "agno_schema" };

        private readonly PostgresTarget _target;
        private readonly NpgsqlDataSource _source;
        private readonly TypedJsonCodec _codec;
        private readonly TimeSpan _retryFor;
        private readonly ThreadLocal<PostgresTransaction?> _current = new ThreadLocal<PostgresTransaction?>();
        private volatile bool _reached;
        private volatile bool _disposed;

        /// <summary>Opens the store in the database <paramref name="store"/> names, creating its tables as <paramref name="creation"/> allows.</summary>
        /// <param name="store">A postgres:// or postgresql:// URI, or a keyword string (Host=…).</param>
        /// <param name="codec">The value codec (the module's knows PowerShell's objects).</param>
        /// <param name="creation">None: a database without the store's tables is an error (listing never creates); otherwise they are created.</param>
        /// <param name="retryFor">How long a failure a retry can fix is retried, once the server has been reached (default 10 s).</param>
        public PostgresSessionStore(string store, TypedJsonCodec? codec = null, StoreCreation creation = StoreCreation.File, TimeSpan? retryFor = null)
        {
            _target = PostgresTarget.Parse(store);
            _codec = codec ?? TypedJsonCodec.Instance;
            _retryFor = retryFor ?? TimeSpan.FromSeconds(10);
            _source = NpgsqlDataSource.Create(_target.ConnectionString);
            try
            {
                EnsureSchema(creation);
            }
            catch
            {
                Dispose();
                throw;
            }
            _reached = true;
        }

        public override string Location => _target.Location;

        /// <summary>Where the server is: host and port, or the unix socket.</summary>
        public string Endpoint => _target.Endpoint;

        private PostgresTransaction Current => _current.Value ?? throw new InvalidOperationException("A storage primitive ran outside InTransaction.");

        // ---- transactions --------------------------------------------------------------------------------

        protected override T InTransaction<T>(bool write, Func<T> work)
        {
            var outer = _current.Value;
            var clock = Stopwatch.StartNew();
            for (int attempt = 0; ; attempt++)
            {
                if (_disposed) throw new StoreException("AgnoStoreClosed", $"The store '{Location}' was closed; nothing was read or saved. Open the session again.");
                var transaction = new PostgresTransaction(_source, write);
                _current.Value = transaction;
                bool done = false;
                T result = default!;
                try
                {
                    result = work();
                    done = true;
                    transaction.Commit();
                    return result;
                }
                catch (PostgresException e) when ((e.SqlState == "40001" || e.SqlState == "40P01" || (e.SqlState == "23505" && e.ConstraintName == "agno_sessions_session_key_key"))
                    && clock.Elapsed < _retryFor)
                {
                    // A deadlock, or another process created the same session first: again, from its commit.
                }
                catch (NpgsqlException e)
                {
                    bool inDoubt = transaction.InDoubt;
                    if (inDoubt)
                    {
                        transaction.Dispose();
                        var committed = WasCommitted(transaction, clock);
                        if (committed == true && done) return result;
                        inDoubt = committed == null;
                    }
                    bool retry = !inDoubt && _reached && PostgresErrors.IsTransient(e, transaction.Connected) && clock.Elapsed < _retryFor;
                    if (!retry) throw PostgresErrors.Translate(e, _target, write, transaction.Connected, inDoubt, _reached && PostgresErrors.IsTransient(e, transaction.Connected) ? clock.Elapsed : (TimeSpan?)null);
                    _source.Clear(); // the pool's idle connections died with this one: the next open makes a new one
                    Backoff(attempt);
                }
                finally
                {
                    _current.Value = outer;
                    transaction.Dispose();
                }
            }
        }

        private static void Backoff(int attempt) => Thread.Sleep(Math.Min(50 << Math.Min(attempt, 5), 1000));

        /// <summary>
        /// Whether a write transaction whose COMMIT went unanswered committed: its id's status, read once its
        /// session's row is free (so a commit still running is waited for). Null when the server cannot say in time.
        /// </summary>
        private bool? WasCommitted(PostgresTransaction failed, Stopwatch clock)
        {
            if (failed.TransactionId == null) return false; // COMMIT is never sent before the id is known
            for (int attempt = 0; ; attempt++)
            {
                try
                {
                    using var connection = _source.OpenConnection();
                    using var batch = connection.CreateBatch();
                    batch.BatchCommands.Add(PostgresTransaction.Command("BEGIN"));
                    batch.BatchCommands.Add(PostgresTransaction.Command("SELECT 1 FROM agno_sessions WHERE session_key = $1 FOR UPDATE", failed.LockedSession ?? ""));
                    batch.BatchCommands.Add(PostgresTransaction.Command("SELECT txid_status($1)", failed.TransactionId.Value));
                    batch.BatchCommands.Add(PostgresTransaction.Command("ROLLBACK"));
                    string? status;
                    using (var reader = batch.ExecuteReader())
                    {
                        while (reader.Read()) { }
                        reader.NextResult();
                        reader.Read();
                        status = reader.IsDBNull(0) ? null : reader.GetString(0);
                    }
                    if (status == "committed") return true;
                    if (status == "aborted") return false;
                }
                catch (NpgsqlException e) when (e.IsTransient)
                {
                    _source.Clear();
                }
                if (clock.Elapsed >= _retryFor) return null;
                Backoff(attempt);
            }
        }

        private T Read<T>(string sql, Func<NpgsqlDataReader, T> read, params object?[] args) => Current.Read(sql, args, read);

        private List<T> ReadAll<T>(string sql, Func<NpgsqlDataReader, T> row, params object?[] args) => Read(sql, reader =>
        {
            var rows = new List<T>();
            while (reader.Read()) rows.Add(row(reader));
            return rows;
        }, args);

        private void Defer(string sql, params object?[] args) => Current.Defer(sql, args);

        // ---- schema --------------------------------------------------------------------------------------

        /// <summary>The stored schema version (0: no store here), read by <paramref name="scalar"/>.</summary>
        private static int StoredSchemaVersion(Func<string, object?> scalar) =>
            scalar("SELECT to_regclass('agno_schema') IS NOT NULL") is true ? Convert.ToInt32(scalar("SELECT coalesce(max(version), 0) FROM agno_schema")) : 0;

        private StoreException Newer(int version) => new StoreException("AgnoStoreSchemaNewer",
            $"The store '{Location}' has schema version {version}, newer than this Agno understands ({SchemaVersion}). It was left untouched; use a newer Agno to open it.");

        private void EnsureSchema(StoreCreation creation)
        {
            int version = InTransaction(false, () => StoredSchemaVersion(sql => Read(sql, r => r.Read() ? r.GetValue(0) : null)));
            if (version == SchemaVersion) return;
            if (version > SchemaVersion) throw Newer(version);
            if (version == 0 && creation == StoreCreation.None)
            {
                throw new StoreException("AgnoStoreNotFound",
                    $"There is no Agno store in '{Location}' (no agno_schema table on its search path). Check the store string; opening a session there creates one.");
            }
            OnConnection(connection =>
            {
                object? Scalar(string sql, params object?[] args)
                {
                    using var command = new NpgsqlCommand(sql, connection);
                    foreach (var arg in args) command.Parameters.Add(new NpgsqlParameter { Value = arg ?? DBNull.Value });
                    return command.ExecuteScalar();
                }
                // A session-level lock, taken before the transaction begins: the transaction then sees the
                // tables another process created while this one waited (one begun earlier would not).
                Scalar("SELECT pg_advisory_lock($1)", SchemaLock);
                try
                {
                    using var transaction = connection.BeginTransaction();
                    version = StoredSchemaVersion(sql => Scalar(sql));
                    if (version > SchemaVersion) throw Newer(version);
                    if (version == 0)
                    {
                        foreach (var statement in SchemaStatements) Scalar(statement);
                        Scalar("INSERT INTO agno_schema (version, description) VALUES ($1, $2)", SchemaVersion,
                            "sessions; values with versions and tombstones; runs and their completed nodes");
                    }
                    transaction.Commit();
                }
                finally
                {
                    Scalar("SELECT pg_advisory_unlock($1)", SchemaLock);
                }
                return 0;
            }, write: true);
        }

        private static readonly string[] SchemaStatements =
        {
            "CREATE TABLE agno_schema (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
            // sid numbers each incarnation of a session, so a session removed and created again is told apart;
            // session_key (the id normalized by the client: the database's collation is not ours) makes ids unique case-insensitively.
            @"CREATE TABLE agno_sessions (sid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, session_key text NOT NULL UNIQUE,
                session_id text NOT NULL, user_id text, version bigint NOT NULL DEFAULT 0, pruned_version bigint NOT NULL DEFAULT 0,
                input text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now())",
            // A NULL value is a removal (a tombstone), kept so that readers learn of it from the rows since their version.
            @"CREATE TABLE agno_state (session_key text NOT NULL, key_norm text NOT NULL, key text NOT NULL, value text,
                version bigint NOT NULL, PRIMARY KEY (session_key, key_norm))",
            "CREATE INDEX agno_state_by_version ON agno_state (session_key, version)",
            @"CREATE TABLE agno_runs (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, run_id uuid NOT NULL UNIQUE,
                session_key text NOT NULL, name text NOT NULL, status text NOT NULL, started_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL DEFAULT now(), record text)",
            "CREATE INDEX agno_runs_by_session ON agno_runs (session_key, seq)",
            "CREATE TABLE agno_run_nodes (run_id uuid NOT NULL, node text NOT NULL, PRIMARY KEY (run_id, node))",
        };

        // ---- storage primitives --------------------------------------------------------------------------

        private static DateTimeOffset Local(NpgsqlDataReader reader, int column) => reader.GetFieldValue<DateTimeOffset>(column).ToLocalTime();

        protected override SessionRow? ReadSession(string sessionId)
        {
            var transaction = Current;
            var key = Normalize(sessionId);
            // A write locks the row: this session's other writers wait until it ends; nobody else does.
            var row = Read("SELECT sid, session_id, user_id, version, pruned_version FROM agno_sessions WHERE session_key = $1" + (transaction.IsWrite ? " FOR UPDATE" : ""),
                r => r.Read() ? new SessionRow(r.GetInt64(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetInt64(3), r.GetInt64(4)) : null, key);
            if (transaction.IsWrite) transaction.LockedSession = key;
            return row;
        }

        protected override SessionRow InsertSession(string sessionId, string? userId, object? input)
        {
            var key = Normalize(sessionId);
            long sid = Read("INSERT INTO agno_sessions (session_key, session_id, user_id, input) VALUES ($1, $2, $3, $4) RETURNING sid",
                r => r.Read() ? r.GetInt64(0) : 0, key, sessionId, userId, Encode(_codec, "(input)", input));
            Current.LockedSession = key;
            return new SessionRow(sid, sessionId, userId, 0, 0);
        }

        protected override object? ReadInput(string sessionId) =>
            Decode(_codec, sessionId, "(input)", Read("SELECT input FROM agno_sessions WHERE session_key = $1", r => r.Read() ? r.GetString(0) : "", Normalize(sessionId)));

        protected override void WriteInput(string sessionId, object? input) =>
            Defer("UPDATE agno_sessions SET input = $2, updated_at = now() WHERE session_key = $1", Normalize(sessionId), Encode(_codec, "(input)", input));

        protected override void SetVersion(string sessionId, long version) =>
            Defer("UPDATE agno_sessions SET version = $2, updated_at = now() WHERE session_key = $1", Normalize(sessionId), version);

        protected override IReadOnlyList<StoredEntry> ReadValues(string sessionId, long? sinceVersion)
        {
            var rows = sinceVersion == null
                ? ReadAll("SELECT key, value, version FROM agno_state WHERE session_key = $1 AND value IS NOT NULL",
                    r => (Key: r.GetString(0), Value: (string?)r.GetString(1), Version: r.GetInt64(2)), Normalize(sessionId))
                : ReadAll("SELECT key, value, version FROM agno_state WHERE session_key = $1 AND version > $2",
                    r => (Key: r.GetString(0), Value: r.IsDBNull(1) ? null : r.GetString(1), Version: r.GetInt64(2)), Normalize(sessionId), sinceVersion.Value);
            return rows.Select(r => new StoredEntry(r.Key, r.Value == null, r.Value == null ? null : Decode(_codec, sessionId, r.Key, r.Value), r.Version)).ToList();
        }

        protected override void WriteValue(string sessionId, string key, object? value, long version) =>
            Current.DeferRow(Normalize(sessionId), Normalize(key), key, Encode(_codec, key, value), version);

        protected override void DeleteValue(string sessionId, string key, long version) =>
            Current.DeferRow(Normalize(sessionId), Normalize(key), key, null, version);

        protected override void SaveCheckpoint(string sessionId, Checkpoint checkpoint)
        {
            Defer(@"INSERT INTO agno_runs (run_id, session_key, name, status, started_at) VALUES ($1, $2, $3, 'Running', now())
                    ON CONFLICT (run_id) DO UPDATE SET status = 'Running', updated_at = now()", checkpoint.RunId, Normalize(sessionId), checkpoint.RunName);
            Defer("INSERT INTO agno_run_nodes (run_id, node) VALUES ($1, $2) ON CONFLICT DO NOTHING", checkpoint.RunId, checkpoint.NodeName);
        }

        protected override void SaveRun(string sessionId, Guid runId, string name, string status, DateTimeOffset startedAt, string record) =>
            Defer(@"INSERT INTO agno_runs (run_id, session_key, name, status, started_at, record) VALUES ($1, $2, $3, $4, $5, $6)
                    ON CONFLICT (run_id) DO UPDATE SET status = excluded.status, updated_at = now(), record = excluded.record",
                runId, Normalize(sessionId), name, status, startedAt.ToUniversalTime(), record);

        protected override void TrimRuns(string sessionId, int keep) =>
            Defer(@"WITH gone AS (DELETE FROM agno_runs WHERE seq IN (SELECT seq FROM agno_runs WHERE session_key = $1 ORDER BY seq DESC OFFSET $2) RETURNING run_id)
                    DELETE FROM agno_run_nodes WHERE run_id IN (SELECT run_id FROM gone)", Normalize(sessionId), keep);

        protected override (Guid RunId, string Status)? LatestRun(string sessionId, string name)
        {
            // Run names compare case-insensitively, as the client compares them (not by the database's collation); a session keeps few runs.
            var runs = ReadAll("SELECT run_id, status, name FROM agno_runs WHERE session_key = $1 ORDER BY seq DESC",
                r => (RunId: r.GetGuid(0), Status: r.GetString(1), Name: r.GetString(2)), Normalize(sessionId));
            var latest = runs.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase));
            return latest.Name == null ? null : (latest.RunId, latest.Status);
        }

        protected override IReadOnlyCollection<string> CompletedNodes(Guid runId) =>
            ReadAll("SELECT node FROM agno_run_nodes WHERE run_id = $1", r => r.GetString(0), runId);

        protected override IReadOnlyList<StoredRun> ReadRuns(string sessionId, int last) =>
            ReadAll(@"SELECT run_id, name, status, started_at, record,
                        CASE WHEN record IS NULL THEN ARRAY(SELECT node FROM agno_run_nodes n WHERE n.run_id = r.run_id) END
                      FROM (SELECT * FROM agno_runs WHERE session_key = $1 ORDER BY seq DESC LIMIT $2) r ORDER BY seq",
                r => new StoredRun(r.GetGuid(0), r.GetString(1), r.GetString(2), Local(r, 3), r.IsDBNull(4) ? null : r.GetString(4),
                    r.IsDBNull(5) ? Array.Empty<string>() : r.GetFieldValue<string[]>(5)), Normalize(sessionId), last);

        protected override void DeleteSession(string sessionId)
        {
            var key = Normalize(sessionId);
            Defer("DELETE FROM agno_run_nodes WHERE run_id IN (SELECT run_id FROM agno_runs WHERE session_key = $1)", key);
            Defer("DELETE FROM agno_runs WHERE session_key = $1", key);
            Defer("DELETE FROM agno_state WHERE session_key = $1", key);
            Defer("DELETE FROM agno_sessions WHERE session_key = $1", key);
        }

        protected override void PruneRemovals()
        {
            Defer("UPDATE agno_sessions SET pruned_version = version WHERE session_key IN (SELECT session_key FROM agno_state WHERE value IS NULL)");
            Defer("DELETE FROM agno_state WHERE value IS NULL");
        }

        protected override void Compact()
        {
            // VACUUM runs outside a transaction. A plain one: the space becomes reusable without the
            // exclusive lock of VACUUM FULL, which would stop every machine's commits meanwhile.
            OnConnection(connection =>
            {
                using var vacuum = connection.CreateCommand();
                vacuum.CommandText = "VACUUM (ANALYZE) " + string.Join(", ", Tables);
                vacuum.ExecuteNonQuery();
                return 0;
            }, write: true);
        }

        public override long SpaceUsed() => OnConnection(connection =>
        {
            using var size = connection.CreateCommand();
            size.CommandText = "SELECT coalesce(sum(pg_total_relation_size(t)), 0)::bigint FROM unnest($1::text[]) AS n, to_regclass(n) AS t WHERE t IS NOT NULL";
            size.Parameters.Add(new NpgsqlParameter { Value = Tables });
            return (long)size.ExecuteScalar()!;
        }, write: false);

        /// <summary>Work on a connection of its own, outside the store's transactions, with their error translation.</summary>
        private T OnConnection<T>(Func<NpgsqlConnection, T> work, bool write)
        {
            if (_disposed) throw new StoreException("AgnoStoreClosed", $"The store '{Location}' was closed; nothing was read or saved. Open the session again.");
            try
            {
                using var connection = _source.OpenConnection();
                return work(connection);
            }
            catch (NpgsqlException e)
            {
                throw PostgresErrors.Translate(e, _target, write, connected: true, inDoubt: false, retriedFor: null);
            }
        }

        public override IReadOnlyList<SessionInfo> ListSessions(string? userId = null) => InTransaction(false, () =>
            (IReadOnlyList<SessionInfo>)ReadAll(@"SELECT s.session_id, s.user_id, s.version, s.created_at, s.updated_at,
                    (SELECT count(*) FROM agno_state t WHERE t.session_key = s.session_key AND t.value IS NOT NULL),
                    (SELECT r.status FROM agno_runs r WHERE r.session_key = s.session_key ORDER BY r.seq DESC LIMIT 1)
                FROM agno_sessions s WHERE $1::text IS NULL OR s.user_id = $1::text ORDER BY s.session_key COLLATE ""C""",
                r => new SessionInfo(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), (int)r.GetInt64(5), Local(r, 3), Local(r, 4),
                    r.GetInt64(2), r.IsDBNull(6) ? null : r.GetString(6), Location), userId));

        public override void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            _source.Dispose(); // closes the pool's idle connections; busy ones close when their transaction ends
        }
    }
}
