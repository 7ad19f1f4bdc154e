using System;
using System.IO;
using Agno.Core;
using Microsoft.Data.Sqlite;

namespace Agno.Tests
{
    /// <summary>The store contract on a SQLite file: each "process" is a store object of its own on the file.</summary>
    public sealed class SqliteStoreContractTests : StoreContractTests
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "agno-contract-" + Guid.NewGuid().ToString("N"));
        private string StorePath => Path.Combine(_dir, "store.db");

        public SqliteStoreContractTests() { Directory.CreateDirectory(_dir); }

        protected override ISessionStore OpenStore() => new SqliteSessionStore(StorePath);

        protected override void CorruptValue(string sessionId, string key, string json) =>
            Execute("UPDATE state SET value = $v WHERE session_id = $s AND key = $k", ("$v", json), ("$s", sessionId), ("$k", key));

        protected override void SetSchemaVersion(int version) =>
            Execute("UPDATE agno_meta SET value = $v WHERE name = 'schema_version'", ("$v", version.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        private void Execute(string sql, params (string Name, object Value)[] parameters)
        {
            using var raw = new SqliteConnection($"Data Source={StorePath};Pooling=false");
            raw.Open();
            using var command = raw.CreateCommand();
            command.CommandText = sql;
            foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
            command.ExecuteNonQuery();
        }

        public override void Dispose()
        {
            base.Dispose();
            SqliteConnection.ClearAllPools();
            try { Directory.Delete(_dir, true); } catch (IOException) { }
        }
    }
}
