using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Agno.Core
{
    /// <summary>
    /// Sessions in an embedded SQLite file (WAL, synchronous FULL): every commit is one transaction,
    /// so a killed process loses at most the change it was making and the file is never left corrupt.
    /// The file is created readable by its owner alone; values are stored as typed JSON
    /// (<see cref="TypedJsonCodec"/>); every statement is parameterized.
    /// </summary>
    public sealed class SqliteSessionStore : SessionStoreBase
    {
        public const int SchemaVersion = 1;

        private static readonly byte[] SqliteHeader = Encoding.ASCII.GetBytes("SQLite format 3\0");
        private static readonly object InitLock = new object();
        private static bool _initialized;

        private readonly object _lock = new object();
        private readonly SqliteConnection _connection;
        private readonly TypedJsonCodec _codec;
        private readonly TimeSpan _busyTimeout;
        private SqliteTransaction? _transaction;

        public SqliteSessionStore(string path, TypedJsonCodec? codec = null, TimeSpan? busyTimeout = null)
        {
            if (string.IsNullOrWhiteSpace(path)) throw new ArgumentException("A store path cannot be empty.", nameof(path));
            Location = Path.GetFullPath(path);
            _codec = codec ?? TypedJsonCodec.Instance;
            _busyTimeout = busyTimeout ?? TimeSpan.FromSeconds(10);
            EnsureSqlite();
            RefuseForeignFile(Location);
            if (!File.Exists(Location)) CreateOwnerOnly(Location);

            var builder = new SqliteConnectionStringBuilder
            {
                DataSource = Location,
                Mode = SqliteOpenMode.ReadWriteCreate,
                Pooling = false,
                DefaultTimeout = Math.Max(1, (int)Math.Ceiling(_busyTimeout.TotalSeconds)),
            };
            _connection = new SqliteConnection(builder.ToString());
            try
            {
                OpenConnection();
                InTransaction(() => { EnsureSchema(); return 0; });
            }
            catch (SqliteException e)
            {
                _connection.Dispose();
                throw new StoreException("AgnoStoreUnreadable",
                    $"The store '{Location}' could not be opened: {e.Message}. It was left untouched; check the file, or choose another path.", e);
            }
            catch
            {
                _connection.Dispose();
                throw;
            }
        }

        public override string Location { get; }

        private void OpenConnection()
        {
            _connection.Open();
            Execute($"PRAGMA busy_timeout = {(long)_busyTimeout.TotalMilliseconds}");
            Execute("PRAGMA journal_mode = WAL");
            Execute("PRAGMA synchronous = FULL");
        }

        private static void EnsureSqlite()
        {
            lock (InitLock)
            {
                if (_initialized) return;
                SQLitePCL.Batteries_V2.Init();
                _initialized = true;
            }
        }

        private static void RefuseForeignFile(string path)
        {
            if (!File.Exists(path)) return;
            var header = new byte[SqliteHeader.Length];
            int read;
            using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
            {
                read = stream.Read(header, 0, header.Length);
            }
            if (read == 0) return; // an empty file: SQLite makes it a new database
            if (read < header.Length || !header.SequenceEqual(SqliteHeader))
            {
                throw new StoreException("AgnoStoreNotSqlite",
                    $"'{path}' is not an Agno store: it is not a SQLite database. It was left untouched; choose another path.");
            }
        }

        /// <summary>Creates the empty file readable and writable by its owner alone (0600 on Unix), before anything is written to it.</summary>
        private static void CreateOwnerOnly(string path)
        {
            var directory = Path.GetDirectoryName(path);
            if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
            try
            {
                using (new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None)) { }
            }
            catch (IOException) when (File.Exists(path))
            {
                return; // another process created it first: it is theirs to set up, and SQLite serializes the rest
            }
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) return;
            // File.SetUnixFileMode exists from .NET 7 (PowerShell 7.3+); libc's chmod elsewhere.
            var setMode = typeof(File).GetMethod("SetUnixFileMode", new[] { typeof(string), Type.GetType("System.IO.UnixFileMode")! ?? typeof(int) });
            if (setMode != null)
            {
                setMode.Invoke(null, new[] { path, Enum.ToObject(setMode.GetParameters()[1].ParameterType, 0x180) });
            }
            else if (chmod(path, 0x180) != 0)
            {
                throw new StoreException("AgnoStoreUnreadable", $"The store '{path}' was created, but could not be made readable by its owner alone.");
            }
        }

        [DllImport("libc", SetLastError = true)]
        private static extern int chmod(string path, uint mode);

        private void EnsureSchema()
        {
            Execute("CREATE TABLE IF NOT EXISTS agno_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)");
            var stored = Scalar("SELECT value FROM agno_meta WHERE name = 'schema_version'");
            if (stored != null)
            {
                int version = int.Parse((string)stored, CultureInfo.InvariantCulture);
                if (version > SchemaVersion)
                {
                    throw new StoreException("AgnoStoreSchemaNewer",
                        $"The store '{Location}' has schema version {version}, newer than this Agno understands ({SchemaVersion}). It was left untouched; use a newer Agno to open it.");
                }
                return;
            }
            Execute("INSERT INTO agno_meta (name, value) VALUES ('schema_version', $v)", ("$v", SchemaVersion.ToString(CultureInfo.InvariantCulture)));
            Execute(@"CREATE TABLE sessions (session_id TEXT PRIMARY KEY, user_id TEXT, version INTEGER NOT NULL,
                      input TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)");
            Execute(@"CREATE TABLE state (session_id TEXT NOT NULL, key_norm TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
                      PRIMARY KEY (session_id, key_norm))");
            Execute(@"CREATE TABLE runs (run_id TEXT PRIMARY KEY, session_id TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL,
                      seq INTEGER NOT NULL, started_at TEXT NOT NULL, updated_at TEXT NOT NULL)");
            Execute("CREATE INDEX runs_by_session ON runs (session_id, name, seq)");
            Execute("CREATE TABLE run_nodes (run_id TEXT NOT NULL, node TEXT NOT NULL, PRIMARY KEY (run_id, node))");
        }

        protected override T InTransaction<T>(Func<T> work)
        {
            lock (_lock)
            {
                if (!File.Exists(Location))
                {
                    throw new StoreException("AgnoStoreMissing",
                        $"The store '{Location}' was deleted while it was open; nothing was saved. Open the session again with New-AgnoSession -Store to start a new store.");
                }
                try
                {
                    return Transaction(work, retryReadOnly: true);
                }
                catch (SqliteException e) when (e.SqliteErrorCode == 8)
                {
                    // Read-only: SQLite decided when it connected. Reconnect, so that a file made writable
                    // since then is written now, and try once more.
                    _connection.Close();
                    OpenConnection();
                    return Transaction(work, retryReadOnly: false);
                }
            }
        }

        private T Transaction<T>(Func<T> work, bool retryReadOnly)
        {
            try
            {
                using var transaction = _connection.BeginTransaction(deferred: false);
                _transaction = transaction;
                var result = work();
                transaction.Commit();
                return result;
            }
            catch (SqliteException e) when (e.SqliteErrorCode == 5 || e.SqliteErrorCode == 6)
            {
                throw new StoreException("AgnoStoreBusy",
                    $"The store '{Location}' is locked by another writer and stayed locked for {_busyTimeout.TotalSeconds:0.#} s; nothing was saved. Try again, or look for a process holding it.", e);
            }
            catch (SqliteException e) when (e.SqliteErrorCode != 8 || !retryReadOnly)
            {
                throw new StoreException("AgnoStoreWriteFailed",
                    $"The store '{Location}' could not be written: {e.Message}. Nothing was saved (the transaction was rolled back).", e);
            }
            finally
            {
                _transaction = null;
            }
        }

        private static string Now() => DateTimeOffset.Now.ToString("o", CultureInfo.InvariantCulture);
        private static string Norm(string key) => key.ToUpperInvariant();

        protected override SessionRow? ReadSession(string sessionId)
        {
            using var command = Command("SELECT user_id, version, input FROM sessions WHERE session_id = $id", ("$id", sessionId));
            using var reader = command.ExecuteReader();
            if (!reader.Read()) return null;
            return new SessionRow(sessionId, reader.IsDBNull(0) ? null : reader.GetString(0), reader.GetInt64(1),
                Load(sessionId, "(input)", reader.GetString(2)));
        }

        protected override void InsertSession(string sessionId, string? userId, object? input) =>
            Execute("INSERT INTO sessions (session_id, user_id, version, input, created_at, updated_at) VALUES ($id, $user, 0, $input, $now, $now)",
                ("$id", sessionId), ("$user", userId), ("$input", _codec.Serialize(input)), ("$now", Now()));

        protected override void SetVersion(string sessionId, long version) =>
            Execute("UPDATE sessions SET version = $v, updated_at = $now WHERE session_id = $id", ("$v", version), ("$now", Now()), ("$id", sessionId));

        protected override bool TryReadValue(string sessionId, string key, out object? value)
        {
            var json = Scalar("SELECT value FROM state WHERE session_id = $id AND key_norm = $k", ("$id", sessionId), ("$k", Norm(key)));
            value = json == null ? null : Load(sessionId, key, (string)json);
            return json != null;
        }

        protected override IReadOnlyDictionary<string, object?> ReadAllValues(string sessionId)
        {
            var values = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
            using var command = Command("SELECT key, value FROM state WHERE session_id = $id", ("$id", sessionId));
            using var reader = command.ExecuteReader();
            while (reader.Read()) values[reader.GetString(0)] = Load(sessionId, reader.GetString(0), reader.GetString(1));
            return values;
        }

        private object? Load(string sessionId, string key, string json)
        {
            try
            {
                return _codec.Deserialize(json);
            }
            catch (Exception e) when (e is FormatException || e is InvalidOperationException || e is OverflowException || e is ArgumentException)
            {
                throw new StoreException("AgnoStoreValueUnreadable",
                    $"The value of key '{key}' of session '{sessionId}' in store '{Location}' cannot be loaded: {e.Message} Nothing was loaded or changed.", e);
            }
        }

        protected override void WriteValue(string sessionId, string key, object? value)
        {
            string json;
            try
            {
                json = _codec.Serialize(value);
            }
            catch (FormatException e)
            {
                throw new ValueRefusedException(key, e.Message + " It cannot be saved to a store.", e);
            }
            Execute(@"INSERT INTO state (session_id, key_norm, key, value) VALUES ($id, $k, $key, $v)
                      ON CONFLICT (session_id, key_norm) DO UPDATE SET value = excluded.value",
                ("$id", sessionId), ("$k", Norm(key)), ("$key", key), ("$v", json));
        }

        protected override void DeleteValue(string sessionId, string key) =>
            Execute("DELETE FROM state WHERE session_id = $id AND key_norm = $k", ("$id", sessionId), ("$k", Norm(key)));

        protected override void SaveRun(string sessionId, Guid runId, string name, string status) =>
            Execute(@"INSERT INTO runs (run_id, session_id, name, status, seq, started_at, updated_at)
                      VALUES ($run, $id, $name, $status, (SELECT COALESCE(MAX(seq), 0) + 1 FROM runs), $now, $now)
                      ON CONFLICT (run_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at",
                ("$run", runId.ToString()), ("$id", sessionId), ("$name", name), ("$status", status), ("$now", Now()));

        protected override void AddCompletedNode(Guid runId, string nodeName) =>
            Execute("INSERT OR IGNORE INTO run_nodes (run_id, node) VALUES ($run, $node)", ("$run", runId.ToString()), ("$node", nodeName));

        protected override (Guid RunId, string Status)? LatestRun(string sessionId, string name)
        {
            using var command = Command("SELECT run_id, status FROM runs WHERE session_id = $id AND name = $name COLLATE NOCASE ORDER BY seq DESC LIMIT 1",
                ("$id", sessionId), ("$name", name));
            using var reader = command.ExecuteReader();
            if (!reader.Read()) return null;
            return (Guid.Parse(reader.GetString(0)), reader.GetString(1));
        }

        protected override IReadOnlyCollection<string> CompletedNodes(Guid runId)
        {
            var nodes = new List<string>();
            using var command = Command("SELECT node FROM run_nodes WHERE run_id = $run", ("$run", runId.ToString()));
            using var reader = command.ExecuteReader();
            while (reader.Read()) nodes.Add(reader.GetString(0));
            return nodes;
        }

        public override IReadOnlyList<SessionInfo> ListSessions(string? userId = null) => InTransaction(() =>
        {
            var sessions = new List<SessionInfo>();
            using var command = Command(@"SELECT s.session_id, s.user_id, s.version, s.created_at, s.updated_at,
                    (SELECT COUNT(*) FROM state t WHERE t.session_id = s.session_id),
                    (SELECT r.status FROM runs r WHERE r.session_id = s.session_id ORDER BY r.seq DESC LIMIT 1)
                FROM sessions s WHERE $user IS NULL OR s.user_id = $user ORDER BY s.session_id", ("$user", userId));
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                sessions.Add(new SessionInfo(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt32(5),
                    DateTimeOffset.Parse(reader.GetString(3), CultureInfo.InvariantCulture), DateTimeOffset.Parse(reader.GetString(4), CultureInfo.InvariantCulture),
                    reader.GetInt64(2), reader.IsDBNull(6) ? null : reader.GetString(6), Location));
            }
            return (IReadOnlyList<SessionInfo>)sessions;
        });

        public override bool RemoveSession(string sessionId) => InTransaction(() =>
        {
            Execute("DELETE FROM run_nodes WHERE run_id IN (SELECT run_id FROM runs WHERE session_id = $id)", ("$id", sessionId));
            Execute("DELETE FROM runs WHERE session_id = $id", ("$id", sessionId));
            Execute("DELETE FROM state WHERE session_id = $id", ("$id", sessionId));
            return Execute("DELETE FROM sessions WHERE session_id = $id", ("$id", sessionId)) > 0;
        });

        private SqliteCommand Command(string sql, params (string Name, object? Value)[] parameters)
        {
            var command = _connection.CreateCommand();
            command.CommandText = sql;
            command.Transaction = _transaction;
            foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
            return command;
        }

        private int Execute(string sql, params (string Name, object? Value)[] parameters)
        {
            using var command = Command(sql, parameters);
            return command.ExecuteNonQuery();
        }

        private object? Scalar(string sql, params (string Name, object? Value)[] parameters)
        {
            using var command = Command(sql, parameters);
            var result = command.ExecuteScalar();
            return result is DBNull ? null : result;
        }

        public override void Dispose() => _connection.Dispose();
    }
}
