using Agno.Core;
using Agno.Storage.PostgreSql;

namespace Agno.Tests
{
    /// <summary>
    /// The store contract on PostgreSQL (the server build.ps1 test starts): each test has a schema of
    /// its own in the one database, and each "process" is a store object with its own connection pool.
    /// </summary>
    public sealed class PostgresStoreContractTests : StoreContractTests, IUsesPostgres
    {
        private readonly string? _schema;
        private readonly string _store = "";

        public PostgresStoreContractTests()
        {
            if (TestPostgres.SkipReason != null) return; // every test here is reported skipped
            (_schema, _store) = TestPostgres.NewSchema();
        }

        protected override ISessionStore OpenStore() => new PostgresSessionStore(_store);

        protected override void CorruptValue(string sessionId, string key, string json) =>
            TestPostgres.Execute($"UPDATE {_schema}.agno_state SET value = $1 WHERE session_key = $2 AND key = $3", json, sessionId.ToUpperInvariant(), key);

        protected override void SetSchemaVersion(int version) =>
            TestPostgres.Execute($"INSERT INTO {_schema}.agno_schema (version, description) VALUES ($1, 'from a newer Agno')", version);

        public override void Dispose()
        {
            base.Dispose();
            if (_schema != null) TestPostgres.DropSchema(_schema);
        }
    }
}
