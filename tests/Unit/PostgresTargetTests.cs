using System;
using Agno.Core;
using Agno.Storage.PostgreSql;
using Xunit;

namespace Agno.Tests
{
    /// <summary>What a PostgreSQL store string means: libpq's URI grammar made an Npgsql connection string, and how the store is named without its password.</summary>
    public sealed class PostgresTargetTests
    {
        private const string Awkward = "p@ss:w/o rd;'\"=%x+y";
        private static readonly string AwkwardEncoded = Uri.EscapeDataString(Awkward);

        [Fact]
        public void A_uri_gives_user_password_host_port_and_database_and_is_named_without_its_password()
        {
            var target = PostgresTarget.Parse($"postgresql://agno:{AwkwardEncoded}@db1.example:6543/my%20db");
            Assert.Equal("agno", target.Builder.Username);
            Assert.Equal(Awkward, target.Builder.Password);
            Assert.Equal("db1.example", target.Builder.Host);
            Assert.Equal(6543, target.Builder.Port);
            Assert.Equal("my db", target.Builder.Database);
            Assert.Equal("postgresql://agno@db1.example:6543/my%20db", target.Location);
            Assert.Equal("db1.example:6543", target.Endpoint);
            Assert.DoesNotContain("p@ss", target.Location);
        }

        [Fact]
        public void The_uri_grammar_follows_libpq()
        {
            Assert.Equal("a+b", PostgresTarget.Parse("postgres://u:a+b@h/d").Builder.Password); // '+' is not a space
            Assert.Equal("pa@ss", PostgresTarget.Parse("postgresql://u:pa@ss@h/d").Builder.Password); // the user part ends at the last '@'
            Assert.Null(PostgresTarget.Parse("postgresql://u@h").Builder.Database); // the database defaults to the user's name
            Assert.Equal(5432, PostgresTarget.Parse("postgresql://u@h/d").Builder.Port);

            var socket = PostgresTarget.Parse("postgresql://u@%2Fvar%2Frun%2Fpostgresql/d");
            Assert.Equal("/var/run/postgresql", socket.Builder.Host);
            Assert.Equal("the unix socket /var/run/postgresql/.s.PGSQL.5432", socket.Endpoint);
            Assert.Equal("postgresql://u@%2Fvar%2Frun%2Fpostgresql:5432/d", socket.Location);
            Assert.Equal("/tmp/pg", PostgresTarget.Parse("postgresql:///d?host=/tmp/pg&port=5433").Builder.Host);

            var two = PostgresTarget.Parse("postgresql://u@h1:5433,h2/d");
            Assert.Equal("h1:5433,h2", two.Builder.Host);
            Assert.Equal("h1:5433, h2:5432", two.Endpoint);
            Assert.Equal("::1", PostgresTarget.Parse("postgresql://u@[::1]:5433/d").Builder.Host);

            var query = PostgresTarget.Parse("postgresql://u@h/d?sslmode=verify-full&application_name=nightly&connect_timeout=9&options=-c%20search_path%3Dops");
            Assert.Equal(Npgsql.SslMode.VerifyFull, query.Builder.SslMode);
            Assert.Equal("nightly", query.Builder.ApplicationName);
            Assert.Equal(9, query.Builder.Timeout);
            Assert.Equal("-c search_path=ops", query.Builder.Options);
            Assert.Equal("postgresql://u@h:5432/d?options=-c%20search_path%3Dops", query.Location);
        }

        [Fact]
        public void A_keyword_string_is_taken_as_Npgsql_takes_it_with_a_short_connect_timeout_and_prepared_statements_unless_given()
        {
            var target = PostgresTarget.Parse($"Host=/var/run/postgresql;Database=agno;Username=ops;Password=\"{Awkward.Replace("\"", "\"\"")}\"");
            Assert.Equal(Awkward, target.Builder.Password);
            Assert.Equal(5, target.Builder.Timeout);
            Assert.Equal("Agno", target.Builder.ApplicationName);
            Assert.Equal("postgresql://ops@%2Fvar%2Frun%2Fpostgresql:5432/agno", target.Location);
            Assert.Equal(32, target.Builder.MaxAutoPrepare);
            Assert.Equal(0, PostgresTarget.Parse("Host=h;Max Auto Prepare=0").Builder.MaxAutoPrepare);
            Assert.Equal(0, PostgresTarget.Parse("Host=h;maxautoprepare=0").Builder.MaxAutoPrepare);
            Assert.Equal(30, PostgresTarget.Parse("Host=h;timeout=30").Builder.Timeout);
            Assert.Equal(30, PostgresTarget.Parse("postgresql://h?connect_timeout=30").Builder.Timeout);
            Assert.Equal("postgresql://h:5432?options=-c%20search_path%3Dt1", PostgresTarget.Parse("Host=h;Search Path=t1").Location);
        }

        [Theory]
        [InlineData("postgresql://u@h/d", true)]
        [InlineData("POSTGRES://h", true)]
        [InlineData("Host=db1;Database=agno", true)]
        [InlineData("server=db1", true)]
        [InlineData("/var/agno/store.db", false)]
        [InlineData("./a=b.db", false)]
        [InlineData("C:\\agno\\store.db", false)]
        [InlineData("Data Source=x.db", false)]
        public void A_store_string_names_PostgreSQL_when_it_is_a_uri_or_a_keyword_string_with_a_host(string store, bool postgres) =>
            Assert.Equal(postgres, PostgresTarget.IsPostgres(store));

        [Theory]
        [InlineData("postgresql://u:secret%zz@h/d", "'%' that is not followed by two hex digits")]
        [InlineData("postgresql://u:secret%00@h/d", "%00")]
        [InlineData("postgresql://u:secret%FF@h/d", "not UTF-8")]
        [InlineData("postgresql://u:secret@h/d?hostaddr=1.2.3.4", "'hostaddr' is not one")]
        [InlineData("postgresql://u:secret@h/d?sslmode=sometimes", "sslmode must be one of")]
        [InlineData("postgresql://u:secret@h:99999/d", "port")]
        [InlineData("postgresql://u:secret@/d", "names no host")]
        [InlineData("Host=h;Password=secret;Sekret=x", "a keyword is unknown")]
        [InlineData("Host=h;Password=sec;ret", "neither a URI nor")]
        public void A_bad_store_string_is_refused_saying_what_is_wrong_and_never_quoting_the_password(string store, string says)
        {
            var e = Assert.Throws<StoreException>(() => PostgresTarget.Parse(store));
            Assert.Equal("AgnoStoreConnectionInvalid", e.ErrorId);
            Assert.Equal(AgnoErrorKind.InvalidArgument, e.Kind);
            Assert.Contains(says, e.Message);
            Assert.DoesNotContain("secret", e.Message);
            Assert.DoesNotContain("sec", e.Message.Replace("second", ""));
        }
    }
}
