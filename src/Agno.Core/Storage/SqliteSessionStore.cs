using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Agno.Core
{
    /// <summary>
    /// Sessions in an embedded SQLite file (WAL, synchronous FULL): every commit is one transaction,
    /// so a killed process loses at most the change it was making and the file is never left corrupt.
    /// SQLite's write lock is the whole file's, so commits of every session and process are serialized
    /// (each holds it for the few statements of one commit). The file is created readable by its owner
    /// alone; values are stored as typed JSON (<see cref="TypedJsonCodec"/>); every statement is
    /// parameterized and prepared once. Before every transaction the store checks that its path still
    /// names the file it opened, and touches nothing if not.
    /// </summary>
    public sealed class SqliteSessionStore : SessionStoreBase
    {
        /// <summary>The version of the file's tables this Agno writes: an older file is upgraded when opened, a newer one refused.</summary>
        public const int SchemaVersion = 2;

        private static readonly byte[] SqliteHeader = Encoding.ASCII.GetBytes("SQLite format 3\0");
        private static readonly object InitLock = new object();
        private static bool _initialized;

        private readonly object _lock = new object();
        private readonly SqliteConnection _connection;
        private readonly TypedJsonCodec _codec;
        private readonly TimeSpan _busyTimeout;
        private readonly Dictionary<string, SqliteCommand> _commands = new Dictionary<string, SqliteCommand>(StringComparer.Ordinal);
        private readonly string _identity; // of the file opened: a path naming another file is refused
        private bool _disposed;

        /// <summary>Opens (or, as <paramref name="creation"/> allows, creates) the store file at <paramref name="path"/>.</summary>
        /// <param name="path">The store file.</param>
        /// <param name="codec">The value codec (the module's knows PowerShell's objects).</param>
        /// <param name="busyTimeout">How long a commit waits for another writer's lock (default 10 s).</param>
        /// <param name="creation">What may be created when the file is not there.</param>
        /// <exception cref="ArgumentException"><paramref name="path"/> is null, empty or white space.</exception>
        /// <exception cref="StoreException">The file cannot be opened or created as a store; the message names the path and what to do.</exception>
        public SqliteSessionStore(string path, TypedJsonCodec? codec = null, TimeSpan? busyTimeout = null, StoreCreation creation = StoreCreation.File)
        {
            if (string.IsNullOrWhiteSpace(path)) throw new ArgumentException("A store path cannot be empty.", nameof(path));
            Location = Path.GetFullPath(path);
            _codec = codec ?? TypedJsonCodec.Instance;
            _busyTimeout = busyTimeout ?? TimeSpan.FromSeconds(10);
            EnsureSqlite();
            PrepareFile(Location, creation);

            var builder = new SqliteConnectionStringBuilder
            {
                DataSource = Location,
                Mode = SqliteOpenMode.ReadWriteCreate,
                Pooling = false,
                DefaultTimeout = Math.Max(1, (int)Math.Ceiling(_busyTimeout.TotalSeconds)),
            };
            _connection = new SqliteConnection(builder.ToString());
            _connection.CreateFunction("agno_norm", (string text) => Norm(text), isDeterministic: true);
            _identity = FileIdentity.Unknown;
            try
            {
                OpenConnection();
                _identity = FileIdentity.Of(Location) ?? throw Missing();
                EnsureSchema();
            }
            catch (SqliteException e)
            {
                Dispose();
                throw new StoreException("AgnoStoreUnreadable",
                    $"The store '{Location}' could not be opened: {e.Message}. It was left untouched; check the file, or choose another path.", e);
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        /// <summary>The store file's full path.</summary>
        public override string Location { get; }

        /// <summary>True while the store's path still names the file it opened (not deleted, not replaced).</summary>
        public bool IsCurrent
        {
            get
            {
                var now = FileIdentity.Of(Location);
                return now != null && FileIdentity.Same(_identity, now);
            }
        }

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

        // ---- the file ------------------------------------------------------------------------------------

        /// <summary>Checks the path before SQLite touches it: every problem is a <see cref="StoreException"/> naming it, and nothing is changed.</summary>
        private static void PrepareFile(string path, StoreCreation creation)
        {
            if (Directory.Exists(path))
            {
                throw new StoreException("AgnoStoreIsFolder",
                    $"'{path}' is a folder, not a store file. Give the path of a file, for example '{Path.Combine(path, "agno.db")}'.");
            }
            if (File.Exists(path))
            {
                RefuseForeignFile(path);
                return;
            }
            if (creation == StoreCreation.None)
            {
                throw new StoreException("AgnoStoreNotFound", $"There is no store at '{path}'. Check the path; opening a session there creates one.");
            }
            var folder = Path.GetDirectoryName(path);
            if (!string.IsNullOrEmpty(folder) && !Directory.Exists(folder))
            {
                if (creation != StoreCreation.FileAndFolder)
                {
                    throw new StoreException("AgnoStoreFolderNotFound",
                        $"The folder '{folder}' of store '{path}' does not exist; nothing was created. Check the path, or create the folder first.");
                }
                OnFile(path, "created", () => Directory.CreateDirectory(folder));
            }
            CreateOwnerOnly(path);
        }

        /// <summary>Runs a file operation, turning the OS's refusals into store errors that name the path.</summary>
        private static void OnFile(string path, string doing, Action action)
        {
            try
            {
                action();
            }
            catch (UnauthorizedAccessException e)
            {
                throw new StoreException("AgnoStoreAccessDenied",
                    $"The store '{path}' cannot be {doing}: permission denied ({e.Message}). Nothing was changed; check the owner and mode of the file and its folder, or choose another path.", e);
            }
            catch (IOException e) when (!(e is FileNotFoundException) || doing == "created")
            {
                throw new StoreException("AgnoStoreCreateFailed",
                    $"The store '{path}' cannot be {doing}: {e.Message} Nothing was changed; choose a path in a folder of files you can write.", e);
            }
        }

        private static void RefuseForeignFile(string path)
        {
            var header = new byte[SqliteHeader.Length];
            int read = 0;
            OnFile(path, "read", () =>
            {
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                read = stream.Read(header, 0, header.Length);
            });
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
            try
            {
                OnFile(path, "created", () => { using (new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None)) { } });
            }
            catch (StoreException) when (File.Exists(path))
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
                throw new StoreException("AgnoStoreAccessDenied", $"The store '{path}' was created, but could not be made readable by its owner alone.");
            }
        }

        [DllImport("libc", SetLastError = true)]
        private static extern int chmod(string path, uint mode);

        private StoreException Missing() => new StoreException("AgnoStoreMissing",
            $"The store '{Location}' was deleted while it was open; nothing was read or saved. Open the session again to start a new store there.");

        /// <summary>Refuses to touch a file that is not the one this store opened: SQLite would write to the deleted one, or meet another's.</summary>
        private void CheckFile()
        {
            var now = FileIdentity.Of(Location) ?? throw Missing();
            if (!FileIdentity.Same(_identity, now))
            {
                throw new StoreException("AgnoStoreReplaced",
                    $"The store '{Location}' was replaced by another file since it was opened; nothing was read from or written to that file. Open the session again to use the file now at that path.");
            }
            if (_disposed)
            {
                throw new StoreException("AgnoStoreClosed", $"The store '{Location}' was closed; nothing was read or saved. Open the session again.");
            }
        }

        // ---- schema --------------------------------------------------------------------------------------

        private int StoredSchemaVersion()
        {
            if (Scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'agno_meta'") == null) return 0;
            var stored = Scalar("SELECT value FROM agno_meta WHERE name = 'schema_version'");
            return stored == null ? 0 : int.Parse((string)stored, CultureInfo.InvariantCulture);
        }

        private void EnsureSchema()
        {
            int version = InTransaction(false, StoredSchemaVersion);
            if (version == SchemaVersion) return;
            InTransaction(true, () =>
            {
                version = StoredSchemaVersion(); // again, under the write lock: another process may have done it
                if (version > SchemaVersion)
                {
                    throw new StoreException("AgnoStoreSchemaNewer",
                        $"The store '{Location}' has schema version {version}, newer than this Agno understands ({SchemaVersion}). It was left untouched; use a newer Agno to open it.");
                }
                if (version == 0) CreateSchema();
                else if (version == 1) MigrateFrom1();
                return 0;
            });
        }

        private void CreateSchema()
        {
            Execute("CREATE TABLE IF NOT EXISTS agno_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)");
            Execute("INSERT INTO agno_meta (name, value) VALUES ('schema_version', $v)", ("$v", SchemaVersion.ToString(CultureInfo.InvariantCulture)));
            CreateSessions("sessions");
            Execute(@"CREATE TABLE state (session_id TEXT NOT NULL, key_norm TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
                      version INTEGER NOT NULL, PRIMARY KEY (session_id, key_norm))");
            CreateVersionIndexAndRemovals();
            CreateRuns("runs");
            Execute("CREATE TABLE run_nodes (run_id TEXT NOT NULL, node TEXT NOT NULL, PRIMARY KEY (run_id, node))");
        }

        // sid numbers each incarnation of a session (AUTOINCREMENT never reuses one), so a session removed
        // and created again is told apart; session_norm makes ids unique case-insensitively.
        private void CreateSessions(string table) => Execute($@"CREATE TABLE {table} (sid INTEGER PRIMARY KEY AUTOINCREMENT,
            session_norm TEXT NOT NULL UNIQUE, session_id TEXT NOT NULL, user_id TEXT, version INTEGER NOT NULL,
            pruned_version INTEGER NOT NULL DEFAULT 0, input TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)");

        private void CreateVersionIndexAndRemovals()
        {
            Execute("CREATE INDEX state_by_version ON state (session_id, version)");
            Execute(@"CREATE TABLE removed (session_id TEXT NOT NULL, key_norm TEXT NOT NULL, key TEXT NOT NULL, version INTEGER NOT NULL,
                      PRIMARY KEY (session_id, key_norm))");
            Execute("CREATE INDEX removed_by_version ON removed (session_id, version)");
        }

        // seq orders runs: an INTEGER PRIMARY KEY, which VACUUM keeps (it may renumber plain rowids).
        private void CreateRuns(string table) => Execute($@"CREATE TABLE {table} (seq INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL UNIQUE,
            session_id TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL, started_at TEXT NOT NULL, updated_at TEXT NOT NULL, record TEXT);
            CREATE INDEX {table}_by_session ON {table} (session_id, seq)");

        /// <summary>Schema 1 had case-sensitive session ids, no versions per value and no run records.</summary>
        private void MigrateFrom1()
        {
            var duplicate = Scalar(@"SELECT group_concat(session_id, ''', ''') FROM sessions GROUP BY agno_norm(session_id) HAVING COUNT(*) > 1 LIMIT 1");
            if (duplicate != null)
            {
                throw new StoreException("AgnoStoreMigrationFailed",
                    $"The store '{Location}' holds sessions '{duplicate}', whose ids differ only in case; session ids are now compared case-insensitively, so it cannot be upgraded. It was left untouched; remove all but one of them with the Agno that wrote them.");
            }
            CreateSessions("sessions_v2");
            Execute(@"INSERT INTO sessions_v2 (session_norm, session_id, user_id, version, input, created_at, updated_at)
                      SELECT agno_norm(session_id), session_id, user_id, version, input, created_at, updated_at FROM sessions ORDER BY created_at");
            Execute("DROP TABLE sessions");
            Execute("ALTER TABLE sessions_v2 RENAME TO sessions");
            Execute("ALTER TABLE state ADD COLUMN version INTEGER NOT NULL DEFAULT 0");
            CreateVersionIndexAndRemovals();
            CreateRuns("runs_v2");
            Execute(@"INSERT INTO runs_v2 (run_id, session_id, name, status, started_at, updated_at)
                      SELECT run_id, session_id, name, status, started_at, updated_at FROM runs ORDER BY seq");
            Execute("DROP TABLE runs");
            Execute("ALTER TABLE runs_v2 RENAME TO runs");
            Execute("UPDATE agno_meta SET value = $v WHERE name = 'schema_version'", ("$v", SchemaVersion.ToString(CultureInfo.InvariantCulture)));
        }

        // ---- transactions --------------------------------------------------------------------------------

        /// <inheritdoc/>
        protected override T InTransaction<T>(bool write, Func<T> work)
        {
            lock (_lock)
            {
                CheckFile();
                try
                {
                    return Transaction(write, work, retryReadOnly: true);
                }
                catch (SqliteException e) when (e.SqliteErrorCode == 8)
                {
                    // Read-only: SQLite decided when it connected. Reconnect, so that a file made writable
                    // since then is written now, and try once more.
                    ForgetCommands();
                    _connection.Close();
                    OpenConnection();
                    return Transaction(write, work, retryReadOnly: false);
                }
            }
        }

        private T Transaction<T>(bool write, Func<T> work, bool retryReadOnly)
        {
            try
            {
                // BEGIN IMMEDIATE takes SQLite's write lock now (waiting up to the busy timeout), so that a
                // commit's reads and writes see no other writer in between; a read sees one snapshot.
                Execute(write ? "BEGIN IMMEDIATE" : "BEGIN");
                try
                {
                    var result = work();
                    Execute("COMMIT");
                    return result;
                }
                catch
                {
                    Rollback();
                    throw;
                }
            }
            catch (SqliteException e) when (e.SqliteErrorCode == 5 || e.SqliteErrorCode == 6)
            {
                throw new StoreException("AgnoStoreBusy",
                    $"The store '{Location}' is locked by another writer and stayed locked for {_busyTimeout.TotalSeconds:0.#} s; nothing was saved. Try again, or look for a process holding it.", e);
            }
            catch (SqliteException e) when (e.SqliteErrorCode != 8 || !retryReadOnly)
            {
                throw new StoreException("AgnoStoreWriteFailed",
                    $"The store '{Location}' could not be {(write ? "written" : "read")}: {e.Message}. Nothing was saved (the transaction was rolled back).", e);
            }
        }

        private void Rollback()
        {
            try
            {
                if (SQLitePCL.raw.sqlite3_get_autocommit(_connection.Handle) == 0) Execute("ROLLBACK");
            }
            catch (SqliteException)
            {
                // SQLite rolled back already (an I/O error does), or the connection is gone: nothing is left open.
            }
        }

        // ---- storage primitives --------------------------------------------------------------------------

        private static string Now() => DateTimeOffset.Now.ToString("o", CultureInfo.InvariantCulture);
        private static string Norm(string text) => text.ToUpperInvariant();

        /// <inheritdoc/>
        protected override SessionRow? ReadSession(string sessionId)
        {
            using var reader = Query("SELECT sid, session_id, user_id, version, pruned_version FROM sessions WHERE session_norm = $n", ("$n", Norm(sessionId)));
            if (!reader.Read()) return null;
            return new SessionRow(reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4));
        }

        /// <inheritdoc/>
        protected override SessionRow InsertSession(string sessionId, string? userId, object? input)
        {
            var now = Now();
            Execute(@"INSERT INTO sessions (session_norm, session_id, user_id, version, pruned_version, input, created_at, updated_at)
                      VALUES ($n, $id, $user, 0, 0, $input, $now, $now)",
                ("$n", Norm(sessionId)), ("$id", sessionId), ("$user", userId), ("$input", Serialize("(input)", input)), ("$now", now));
            return new SessionRow((long)Scalar("SELECT last_insert_rowid()")!, sessionId, userId, 0, 0);
        }

        /// <inheritdoc/>
        protected override object? ReadInput(string sessionId) =>
            Load(sessionId, "(input)", (string)Scalar("SELECT input FROM sessions WHERE session_id = $id", ("$id", sessionId))!);

        /// <inheritdoc/>
        protected override void WriteInput(string sessionId, object? input) =>
            Execute("UPDATE sessions SET input = $input, updated_at = $now WHERE session_id = $id",
                ("$input", Serialize("(input)", input)), ("$now", Now()), ("$id", sessionId));

        /// <inheritdoc/>
        protected override void SetVersion(string sessionId, long version) =>
            Execute("UPDATE sessions SET version = $v, updated_at = $now WHERE session_id = $id", ("$v", version), ("$now", Now()), ("$id", sessionId));

        /// <inheritdoc/>
        protected override IReadOnlyList<StoredEntry> ReadValues(string sessionId, long? sinceVersion)
        {
            var entries = new List<StoredEntry>();
            using (var reader = sinceVersion == null
                ? Query("SELECT key, value, version FROM state WHERE session_id = $id", ("$id", sessionId))
                : Query("SELECT key, value, version FROM state WHERE session_id = $id AND version > $v", ("$id", sessionId), ("$v", sinceVersion.Value)))
            {
                while (reader.Read()) entries.Add(new StoredEntry(reader.GetString(0), false, Load(sessionId, reader.GetString(0), reader.GetString(1)), reader.GetInt64(2)));
            }
            if (sinceVersion == null) return entries;
            using (var reader = Query("SELECT key, version FROM removed WHERE session_id = $id AND version > $v", ("$id", sessionId), ("$v", sinceVersion.Value)))
            {
                while (reader.Read()) entries.Add(new StoredEntry(reader.GetString(0), true, null, reader.GetInt64(1)));
            }
            return entries;
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

        private string Serialize(string key, object? value)
        {
            try
            {
                return _codec.Serialize(value);
            }
            catch (FormatException e)
            {
                throw new ValueRefusedException(key, e.Message + " It cannot be saved to a store.", e);
            }
        }

        /// <inheritdoc/>
        protected override void WriteValue(string sessionId, string key, object? value, long version)
        {
            Execute(@"INSERT INTO state (session_id, key_norm, key, value, version) VALUES ($id, $k, $key, $v, $ver)
                      ON CONFLICT (session_id, key_norm) DO UPDATE SET value = excluded.value, version = excluded.version",
                ("$id", sessionId), ("$k", Norm(key)), ("$key", key), ("$v", Serialize(key, value)), ("$ver", version));
            Execute("DELETE FROM removed WHERE session_id = $id AND key_norm = $k", ("$id", sessionId), ("$k", Norm(key)));
        }

        /// <inheritdoc/>
        protected override void DeleteValue(string sessionId, string key, long version)
        {
            Execute("DELETE FROM state WHERE session_id = $id AND key_norm = $k", ("$id", sessionId), ("$k", Norm(key)));
            Execute(@"INSERT INTO removed (session_id, key_norm, key, version) VALUES ($id, $k, $key, $ver)
                      ON CONFLICT (session_id, key_norm) DO UPDATE SET key = excluded.key, version = excluded.version",
                ("$id", sessionId), ("$k", Norm(key)), ("$key", key), ("$ver", version));
        }

        /// <inheritdoc/>
        protected override void SaveCheckpoint(string sessionId, Checkpoint checkpoint)
        {
            var now = Now();
            Execute(@"INSERT INTO runs (run_id, session_id, name, status, started_at, updated_at) VALUES ($run, $id, $name, 'Running', $now, $now)
                      ON CONFLICT (run_id) DO UPDATE SET status = 'Running', updated_at = excluded.updated_at",
                ("$run", checkpoint.RunId.ToString()), ("$id", sessionId), ("$name", checkpoint.RunName), ("$now", now));
            Execute("INSERT OR IGNORE INTO run_nodes (run_id, node) VALUES ($run, $node)", ("$run", checkpoint.RunId.ToString()), ("$node", checkpoint.NodeName));
        }

        /// <inheritdoc/>
        protected override void SaveRun(string sessionId, Guid runId, string name, string status, DateTimeOffset startedAt, string record) =>
            Execute(@"INSERT INTO runs (run_id, session_id, name, status, started_at, updated_at, record) VALUES ($run, $id, $name, $status, $started, $now, $record)
                      ON CONFLICT (run_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at, record = excluded.record",
                ("$run", runId.ToString()), ("$id", sessionId), ("$name", name), ("$status", status),
                ("$started", startedAt.ToString("o", CultureInfo.InvariantCulture)), ("$now", Now()), ("$record", record));

        /// <inheritdoc/>
        protected override void TrimRuns(string sessionId, int keep)
        {
            var boundary = Scalar("SELECT seq FROM runs WHERE session_id = $id ORDER BY seq DESC LIMIT 1 OFFSET $keep", ("$id", sessionId), ("$keep", keep));
            if (boundary == null) return;
            Execute("DELETE FROM run_nodes WHERE run_id IN (SELECT run_id FROM runs WHERE session_id = $id AND seq <= $b)", ("$id", sessionId), ("$b", boundary));
            Execute("DELETE FROM runs WHERE session_id = $id AND seq <= $b", ("$id", sessionId), ("$b", boundary));
        }

        /// <inheritdoc/>
        protected override (Guid RunId, string Status)? LatestRun(string sessionId, string name)
        {
            // Run names compare case-insensitively, beyond ASCII (SQLite's NOCASE is ASCII only); a session keeps few runs.
            using var reader = Query("SELECT run_id, status, name FROM runs WHERE session_id = $id ORDER BY seq DESC", ("$id", sessionId));
            while (reader.Read())
            {
                if (string.Equals(reader.GetString(2), name, StringComparison.OrdinalIgnoreCase)) return (Guid.Parse(reader.GetString(0)), reader.GetString(1));
            }
            return null;
        }

        /// <inheritdoc/>
        protected override IReadOnlyCollection<string> CompletedNodes(Guid runId)
        {
            var nodes = new List<string>();
            using var reader = Query("SELECT node FROM run_nodes WHERE run_id = $run", ("$run", runId.ToString()));
            while (reader.Read()) nodes.Add(reader.GetString(0));
            return nodes;
        }

        /// <inheritdoc/>
        protected override IReadOnlyList<StoredRun> ReadRuns(string sessionId, int last)
        {
            var rows = new List<(Guid RunId, string Name, string Status, DateTimeOffset StartedAt, string? Record)>();
            using (var reader = Query(@"SELECT run_id, name, status, started_at, record FROM
                    (SELECT * FROM runs WHERE session_id = $id ORDER BY seq DESC LIMIT $n) ORDER BY seq", ("$id", sessionId), ("$n", last)))
            {
                while (reader.Read())
                {
                    rows.Add((Guid.Parse(reader.GetString(0)), reader.GetString(1), reader.GetString(2),
                        DateTimeOffset.Parse(reader.GetString(3), CultureInfo.InvariantCulture), reader.IsDBNull(4) ? null : reader.GetString(4)));
                }
            }
            return rows.Select(r => new StoredRun(r.RunId, r.Name, r.Status, r.StartedAt, r.Record,
                r.Record == null ? CompletedNodes(r.RunId) : Array.Empty<string>())).ToList();
        }

        /// <inheritdoc/>
        protected override void DeleteSession(string sessionId)
        {
            Execute("DELETE FROM run_nodes WHERE run_id IN (SELECT run_id FROM runs WHERE session_id = $id)", ("$id", sessionId));
            Execute("DELETE FROM runs WHERE session_id = $id", ("$id", sessionId));
            Execute("DELETE FROM state WHERE session_id = $id", ("$id", sessionId));
            Execute("DELETE FROM removed WHERE session_id = $id", ("$id", sessionId));
            Execute("DELETE FROM sessions WHERE session_id = $id", ("$id", sessionId));
        }

        /// <inheritdoc/>
        protected override void PruneRemovals()
        {
            Execute("UPDATE sessions SET pruned_version = version WHERE session_id IN (SELECT session_id FROM removed)");
            Execute("DELETE FROM removed");
        }

        /// <inheritdoc/>
        protected override void Compact()
        {
            lock (_lock)
            {
                CheckFile();
                try
                {
                    Execute("VACUUM");
                    Execute("PRAGMA wal_checkpoint(TRUNCATE)");
                }
                catch (SqliteException e)
                {
                    throw new StoreException(e.SqliteErrorCode == 5 || e.SqliteErrorCode == 6 ? "AgnoStoreBusy" : "AgnoStoreWriteFailed",
                        $"The store '{Location}' could not be compacted: {e.Message}. Its data is as it was.", e);
                }
            }
        }

        /// <inheritdoc/>
        public override IReadOnlyList<SessionInfo> ListSessions(string? userId = null) => InTransaction(false, () =>
        {
            var sessions = new List<SessionInfo>();
            using var reader = Query(@"SELECT s.session_id, s.user_id, s.version, s.created_at, s.updated_at,
                    (SELECT COUNT(*) FROM state t WHERE t.session_id = s.session_id),
                    (SELECT r.status FROM runs r WHERE r.session_id = s.session_id ORDER BY r.seq DESC LIMIT 1)
                FROM sessions s WHERE $user IS NULL OR s.user_id = $user ORDER BY s.session_norm", ("$user", userId));
            while (reader.Read())
            {
                sessions.Add(new SessionInfo(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt32(5),
                    DateTimeOffset.Parse(reader.GetString(3), CultureInfo.InvariantCulture), DateTimeOffset.Parse(reader.GetString(4), CultureInfo.InvariantCulture),
                    reader.GetInt64(2), reader.IsDBNull(6) ? null : reader.GetString(6), Location));
            }
            return (IReadOnlyList<SessionInfo>)sessions;
        });

        // ---- statements ----------------------------------------------------------------------------------

        /// <summary>The statement for <paramref name="sql"/>, prepared on first use and kept: a commit runs the same few every time.</summary>
        private SqliteCommand Command(string sql, (string Name, object? Value)[] parameters)
        {
            if (!_commands.TryGetValue(sql, out var command))
            {
                command = _connection.CreateCommand();
                command.CommandText = sql;
                foreach (var (name, _) in parameters) command.Parameters.Add(new SqliteParameter { ParameterName = name });
                _commands[sql] = command;
            }
            for (int i = 0; i < parameters.Length; i++) command.Parameters[i].Value = parameters[i].Value ?? DBNull.Value;
            return command;
        }

        private void ForgetCommands()
        {
            foreach (var command in _commands.Values) command.Dispose();
            _commands.Clear();
        }

        private SqliteDataReader Query(string sql, params (string Name, object? Value)[] parameters) => Command(sql, parameters).ExecuteReader();

        private int Execute(string sql, params (string Name, object? Value)[] parameters) => Command(sql, parameters).ExecuteNonQuery();

        private object? Scalar(string sql, params (string Name, object? Value)[] parameters)
        {
            var result = Command(sql, parameters).ExecuteScalar();
            return result is DBNull ? null : result;
        }

        /// <summary>Closes the file: sessions opened from the store then fail with <see cref="StoreException"/> (AgnoStoreClosed). Disposing again does nothing.</summary>
        public override void Dispose()
        {
            lock (_lock)
            {
                if (_disposed) return;
                _disposed = true;
                ForgetCommands();
                _connection.Dispose();
            }
        }
    }
}
