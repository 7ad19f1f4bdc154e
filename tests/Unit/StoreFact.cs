using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Linq;
using System.Text.Json;
using Npgsql;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Agno.Tests
{
    /// <summary>Marks a test class whose store is a PostgreSQL server: its [StoreFact]s skip, with the reason, where there is none.</summary>
    public interface IUsesPostgres { }

    /// <summary>
    /// A fact about a store. In a class that uses PostgreSQL (<see cref="IUsesPostgres"/>) it is reported
    /// skipped, with the reason, when no server was given ($env:AGNO_TEST_SERVERS, which build.ps1 test
    /// sets); the same fact in a class over another store runs as usual.
    /// </summary>
    [XunitTestCaseDiscoverer("Agno.Tests.StoreFactDiscoverer", "Agno.Tests")]
    [AttributeUsage(AttributeTargets.Method)]
    public sealed class StoreFactAttribute : FactAttribute { }

    public sealed class StoreFactDiscoverer : IXunitTestCaseDiscoverer
    {
        private readonly IMessageSink _sink;

        public StoreFactDiscoverer(IMessageSink sink) { _sink = sink; }

        public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions options, ITestMethod method, IAttributeInfo attribute)
        {
            yield return new StoreTestCase(_sink, options.MethodDisplayOrDefault(), options.MethodDisplayOptionsOrDefault(), method);
        }
    }

    public sealed class StoreTestCase : XunitTestCase
    {
        [EditorBrowsable(EditorBrowsableState.Never)]
        [Obsolete("For deserialization only.")]
        public StoreTestCase() { }

        public StoreTestCase(IMessageSink sink, TestMethodDisplay display, TestMethodDisplayOptions options, ITestMethod method)
            : base(sink, display, options, method) { }

        protected override string? GetSkipReason(IAttributeInfo factAttribute) =>
            typeof(IUsesPostgres).IsAssignableFrom(TestMethod.TestClass.Class.ToRuntimeType()) ? TestPostgres.SkipReason : base.GetSkipReason(factAttribute);
    }

    /// <summary>The PostgreSQL server build.ps1 test started for the run (tests/Servers/Postgres.psm1), from $env:AGNO_TEST_SERVERS.</summary>
    internal static class TestPostgres
    {
        private static readonly Lazy<JsonElement?> Server = new Lazy<JsonElement?>(Read);

        private static JsonElement? Read()
        {
            var json = Environment.GetEnvironmentVariable("AGNO_TEST_SERVERS");
            if (string.IsNullOrWhiteSpace(json)) return null;
            using var document = JsonDocument.Parse(json);
            return document.RootElement.TryGetProperty("Postgres", out var server) && server.ValueKind == JsonValueKind.Object ? server.Clone() : null;
        }

        public static string? SkipReason => Server.Value != null ? null
            : Environment.GetEnvironmentVariable("AGNO_TEST_SERVERS") == null
                ? "no PostgreSQL test server: $env:AGNO_TEST_SERVERS is not set (build.ps1 test starts one and sets it)"
                : "no PostgreSQL test server: build.ps1 test could not start one here (see its warning)";

        private static string Get(string name) => (Server.Value ?? throw new InvalidOperationException(SkipReason)).GetProperty(name).ToString();

        /// <summary>Over TCP, with the password.</summary>
        public static string ConnectionString => Get("ConnectionString");

        /// <summary>Over the unix socket, which trusts the user: no password.</summary>
        public static string SocketConnectionString => Get("SocketConnectionString");

        public static string Uri => Get("Uri");
        public static string Password => Get("Password");
        public static int Port => int.Parse(Get("Port"), System.Globalization.CultureInfo.InvariantCulture);

        /// <summary>Runs SQL as the tests' user over the socket.</summary>
        public static void Execute(string sql, params object?[] args)
        {
            using var connection = new NpgsqlConnection(SocketConnectionString);
            connection.Open();
            using var command = new NpgsqlCommand(sql, connection);
            foreach (var arg in args) command.Parameters.Add(new NpgsqlParameter { Value = arg ?? DBNull.Value });
            command.ExecuteNonQuery();
        }

        public static T? Scalar<T>(string sql, params object?[] args)
        {
            using var connection = new NpgsqlConnection(SocketConnectionString);
            connection.Open();
            using var command = new NpgsqlCommand(sql, connection);
            foreach (var arg in args) command.Parameters.Add(new NpgsqlParameter { Value = arg ?? DBNull.Value });
            var result = command.ExecuteScalar();
            return result is DBNull || result == null ? default : (T)result;
        }

        /// <summary>A new, empty schema of its own, and a store string whose search path is it (one store per test, in one database).</summary>
        public static (string Schema, string Store) NewSchema(string? baseConnection = null)
        {
            var schema = "t_" + Guid.NewGuid().ToString("N");
            Execute($"CREATE SCHEMA {schema}");
            var builder = new NpgsqlConnectionStringBuilder(baseConnection ?? ConnectionString) { SearchPath = schema };
            return (schema, builder.ConnectionString);
        }

        public static void DropSchema(string schema) => Execute($"DROP SCHEMA IF EXISTS {schema} CASCADE");
    }
}
