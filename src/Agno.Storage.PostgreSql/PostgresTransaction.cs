using System;
using System.Collections.Generic;
using System.Linq;
using Npgsql;

namespace Agno.Storage.PostgreSql
{
    /// <summary>
    /// One transaction of the store on one pooled connection, sent in as few round trips as the
    /// protocol allows: writes wait in a batch that goes out with the next read or with COMMIT, and
    /// BEGIN goes out with the first statement. An uncontended commit is thus two round trips, as a
    /// bare transaction is: BEGIN with the session row's lock, then the writes with COMMIT. A write
    /// transaction learns its transaction id first, so that a COMMIT whose reply was lost can be
    /// looked up (<c>txid_status</c>) rather than guessed at.
    /// </summary>
    internal sealed class PostgresTransaction : IDisposable
    {
        private readonly NpgsqlDataSource _source;
        private readonly List<NpgsqlBatchCommand> _pending = new List<NpgsqlBatchCommand>();
        private readonly List<Row> _rows = new List<Row>();
        private NpgsqlConnection? _connection;
        private bool _begun;
        private bool _ended;

        /// <summary>A key's value (null: a tombstone) waiting to be written at a version.</summary>
        private sealed record Row(string Session, string KeyNorm, string Key, string? Value, long Version);

        public PostgresTransaction(NpgsqlDataSource source, bool write)
        {
            _source = source;
            IsWrite = write;
        }

        public bool IsWrite { get; }

        /// <summary>True once a connection was had: a failure before that is the server's or the network's, not a statement's.</summary>
        public bool Connected { get; private set; }

        /// <summary>The server's id of this write transaction, once known.</summary>
        public long? TransactionId { get; private set; }

        /// <summary>The session whose row this transaction locked (a commit still running elsewhere holds it until it ends).</summary>
        public string? LockedSession { get; set; }

        /// <summary>True while COMMIT was sent with writes and its reply has not come: the outcome is unknown.</summary>
        public bool InDoubt { get; private set; }

        /// <summary>A statement with positional parameters ($1, $2…); null is SQL NULL.</summary>
        public static NpgsqlBatchCommand Command(string sql, params object?[] args)
        {
            var command = new NpgsqlBatchCommand(sql);
            foreach (var arg in args) command.Parameters.Add(new NpgsqlParameter { Value = arg ?? DBNull.Value });
            return command;
        }

        /// <summary>Queues a statement whose result nobody reads: it goes out with the next read, or with COMMIT.</summary>
        public void Defer(string sql, params object?[] args)
        {
            CloseRows();
            _pending.Add(Command(sql, args));
        }

        /// <summary>Queues a key's value (null: its removal, a tombstone) at a version; the rows of one commit go out as one statement.</summary>
        public void DeferRow(string session, string keyNorm, string key, string? value, long version) =>
            _rows.Add(new Row(session, keyNorm, key, value, version));

        /// <summary>Runs <paramref name="sql"/> after what is queued, and reads its rows with <paramref name="read"/>.</summary>
        public T Read<T>(string sql, object?[] args, Func<NpgsqlDataReader, T> read)
        {
            CloseRows();
            _pending.Add(Command(sql, args));
            using var batch = Take();
            bool readsId = IsWrite && TransactionId == null && batch.BatchCommands.Count > 1 && batch.BatchCommands[1].CommandText == TransactionIdSql;
            using var reader = batch.ExecuteReader();
            if (readsId)
            {
                reader.Read();
                TransactionId = reader.GetInt64(0);
                reader.NextResult();
            }
            return read(reader);
        }

        /// <summary>Sends what is queued with COMMIT (one round trip); does nothing when the transaction did nothing.</summary>
        public void Commit()
        {
            CloseRows();
            if (!_begun && _pending.Count == 0)
            {
                _ended = true;
                return;
            }
            bool writes = _pending.Count > 0;
            if (writes && IsWrite && TransactionId == null) Read("SELECT 1", Array.Empty<object?>(), r => 0); // learn the id before anything can be in doubt
            _pending.Add(Command("COMMIT"));
            using var batch = Take();
            InDoubt = writes;
            batch.ExecuteNonQuery();
            InDoubt = false;
            _ended = true;
        }

        private const string TransactionIdSql = "SELECT txid_current()";

        /// <summary>The queued statements as one batch (one round trip), BEGIN first if not yet sent.</summary>
        private NpgsqlBatch Take()
        {
            if (_connection == null)
            {
                _connection = _source.OpenConnection();
                Connected = true;
            }
            var batch = _connection.CreateBatch();
            if (!_begun)
            {
                // A write reads what is committed after its lock is granted (READ COMMITTED: each statement a
                // new snapshot); a read sees one snapshot throughout.
                batch.BatchCommands.Add(Command(IsWrite ? "BEGIN ISOLATION LEVEL READ COMMITTED" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
                if (IsWrite) batch.BatchCommands.Add(Command(TransactionIdSql));
                _begun = true;
            }
            foreach (var command in _pending) batch.BatchCommands.Add(command);
            _pending.Clear();
            return batch;
        }

        /// <summary>Turns the queued rows into upserts, one per session and version, after the statements queued before them.</summary>
        private void CloseRows()
        {
            if (_rows.Count == 0) return;
            foreach (var group in _rows.GroupBy(r => (r.Session, r.Version)))
            {
                // A key set again after its removal takes the casing it is set with; otherwise it keeps its first.
                _pending.Add(Command(@"INSERT INTO agno_state (session_key, key_norm, key, value, version)
                    SELECT $1, k, d, v, $5 FROM unnest($2::text[], $3::text[], $4::text[]) AS t(k, d, v)
                    ON CONFLICT (session_key, key_norm) DO UPDATE SET
                        key = CASE WHEN agno_state.value IS NULL AND excluded.value IS NOT NULL THEN excluded.key ELSE agno_state.key END,
                        value = excluded.value, version = excluded.version",
                    group.Key.Session, group.Select(r => r.KeyNorm).ToArray(), group.Select(r => r.Key).ToArray(),
                    group.Select(r => r.Value).ToArray(), group.Key.Version));
            }
            _rows.Clear();
        }

        public void Dispose()
        {
            if (_connection == null) return;
            try
            {
                if (_begun && !_ended && _connection.FullState == System.Data.ConnectionState.Open)
                {
                    using var rollback = _connection.CreateBatch();
                    rollback.BatchCommands.Add(Command("ROLLBACK"));
                    rollback.ExecuteNonQuery();
                }
            }
            catch (NpgsqlException)
            {
                // The connection broke: the server rolls back what it had, and the pool drops the connection.
            }
            catch (InvalidOperationException)
            {
                // A reader or batch was left broken mid-way: closing the connection discards the transaction.
            }
            finally
            {
                _connection.Dispose();
                _connection = null;
            }
        }
    }
}
