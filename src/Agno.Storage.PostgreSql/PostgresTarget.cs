using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Globalization;
using System.Linq;
using System.Text;
using Agno.Core;
using Npgsql;

namespace Agno.Storage.PostgreSql
{
    /// <summary>
    /// The PostgreSQL database a store string names: a <c>postgres://</c>/<c>postgresql://</c> URI
    /// (libpq's grammar; Npgsql takes none) or a keyword string (<c>Host=…;Database=…</c>), made an
    /// Npgsql connection string; and how to name it without its password (<see cref="Location"/>,
    /// <see cref="Endpoint"/>). No message built here ever holds the string, the password, or a part of it.
    /// </summary>
    public sealed class PostgresTarget
    {
        private static readonly UTF8Encoding StrictUtf8 = new UTF8Encoding(false, true);

        // libpq's URI parameters and the Npgsql keywords they become.
        private static readonly Dictionary<string, string> UriParameters = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["host"] = "Host", ["port"] = "Port", ["dbname"] = "Database", ["user"] = "Username", ["password"] = "Password",
            ["passfile"] = "Passfile", ["connect_timeout"] = "Timeout", ["application_name"] = "Application Name", ["options"] = "Options",
            ["sslmode"] = "SSL Mode", ["sslcert"] = "SSL Certificate", ["sslkey"] = "SSL Key", ["sslrootcert"] = "Root Certificate",
            ["sslpassword"] = "SSL Password", ["target_session_attrs"] = "Target Session Attributes", ["client_encoding"] = "Client Encoding",
            ["krbsrvname"] = "Kerberos Service Name", ["gssencmode"] = "GSS Encryption Mode", ["keepalives_idle"] = "Tcp Keepalive Time",
            ["keepalives_interval"] = "Tcp Keepalive Interval",
        };

        private static readonly Dictionary<string, string> SslModes = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["disable"] = "Disable", ["allow"] = "Allow", ["prefer"] = "Prefer", ["require"] = "Require", ["verify-ca"] = "VerifyCA", ["verify-full"] = "VerifyFull",
        };

        private PostgresTarget(NpgsqlConnectionStringBuilder builder, ISet<string> given)
        {
            // A host that does not answer fails in seconds, not Npgsql's 15; the store's few statements
            // are prepared once per connection (Max Auto Prepare=0 turns that off, for a pooler without
            // prepared statements); DBAs see who is connected.
            if (!given.Contains(Canonical("Timeout"))) builder.Timeout = 5;
            if (!given.Contains(Canonical("Max Auto Prepare"))) builder.MaxAutoPrepare = 32;
            if (string.IsNullOrEmpty(builder.ApplicationName)) builder.ApplicationName = "Agno";
            Builder = builder;
            ConnectionString = builder.ConnectionString;
            Location = FormatLocation(builder);
            Endpoint = FormatEndpoint(builder);
        }

        /// <summary>The Npgsql connection string, password included: for the driver only, never for a message.</summary>
        internal string ConnectionString { get; }

        internal NpgsqlConnectionStringBuilder Builder { get; }

        /// <summary>Tells two targets apart by everything they connect with, password included, without holding it: a hash of the connection string.</summary>
        public string Key => Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(ConnectionString)));

        /// <summary>
        /// The database as a URI without the password, e.g. <c>postgresql://agno@db1:5432/agno</c>: what the
        /// store is called in messages and in Get-AgnoSession's output, and itself a store string that names it.
        /// </summary>
        public string Location { get; }

        /// <summary>Where the server is, for messages: <c>db1:5432</c>, or the unix socket's folder and port.</summary>
        public string Endpoint { get; }

        /// <summary>True when <paramref name="store"/> names a PostgreSQL database rather than a store file: a postgres:// or postgresql:// URI, or a keyword string with Host (or Server).</summary>
        public static bool IsPostgres(string store)
        {
            if (string.IsNullOrWhiteSpace(store)) return false;
            if (SchemeLength(store) > 0) return true;
            if (store.IndexOf('=') < 0) return false;
            try
            {
                var keywords = new DbConnectionStringBuilder { ConnectionString = store };
                return keywords.ContainsKey("Host") || keywords.ContainsKey("Server");
            }
            catch (ArgumentException)
            {
                return false; // not a keyword string: a file name with '=' in it
            }
        }

        /// <summary>Reads a URI or a keyword string; throws <see cref="StoreException"/> (AgnoStoreConnectionInvalid), naming what is wrong but no part of the string.</summary>
        public static PostgresTarget Parse(string store)
        {
            if (store == null) throw new ArgumentNullException(nameof(store));
            var given = new HashSet<string>(StringComparer.Ordinal);
            var builder = SchemeLength(store) > 0 ? FromUri(store, given) : FromKeywords(store, given);
            return new PostgresTarget(builder, given);
        }

        /// <summary>A keyword as Npgsql matches it: in any case, with or without its spaces ('MaxAutoPrepare' is 'Max Auto Prepare').</summary>
        private static string Canonical(string keyword) => keyword.Replace(" ", "").ToUpperInvariant();

        private static int SchemeLength(string text)
        {
            foreach (var scheme in new[] { "postgresql://", "postgres://" })
            {
                if (text.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return scheme.Length;
            }
            return 0;
        }

        private static StoreException Invalid(string what) => new StoreException("AgnoStoreConnectionInvalid",
            $"The PostgreSQL store string is not valid: {what}. Give a URI such as 'postgresql://user@host:5432/database' or a keyword string such as 'Host=host;Database=database;Username=user' (the password is best left to $env:PGPASSWORD or ~/.pgpass).");

        private static NpgsqlConnectionStringBuilder FromKeywords(string text, ISet<string> given)
        {
            DbConnectionStringBuilder keywords;
            try
            {
                keywords = new DbConnectionStringBuilder { ConnectionString = text };
            }
            catch (ArgumentException)
            {
                throw Invalid("it is neither a URI nor a list of keyword=value pairs separated by ';' (quote a value that holds ';' or '=')");
            }
            var builder = new NpgsqlConnectionStringBuilder();
            foreach (string key in keywords.Keys) given.Add(Canonical(key));
            bool hasPassword = keywords.Keys.Cast<string>().Any(k => k.Equals("Password", StringComparison.OrdinalIgnoreCase) || k.Equals("PSW", StringComparison.OrdinalIgnoreCase));
            foreach (string key in keywords.Keys)
            {
                try
                {
                    builder[key] = keywords[key];
                }
                catch (Exception e) when (e is ArgumentException || e is FormatException || e is InvalidCastException)
                {
                    // A password holding ';' splits into keywords of its own: then no keyword is named.
                    throw Invalid(hasPassword ? "a keyword is unknown to Npgsql, or its value is not valid for it" : $"keyword '{key}' is unknown to Npgsql, or its value is not valid for it");
                }
            }
            return builder;
        }

        /// <summary>libpq's <c>postgresql://[user[:password]@][host[:port][,…]][/dbname][?name=value[&amp;…]]</c>.</summary>
        private static NpgsqlConnectionStringBuilder FromUri(string uri, ISet<string> given)
        {
            var rest = uri.Substring(SchemeLength(uri));
            string? query = null;
            int q = rest.IndexOf('?');
            if (q >= 0)
            {
                query = rest.Substring(q + 1);
                rest = rest.Substring(0, q);
            }
            string? path = null;
            int slash = rest.IndexOf('/');
            if (slash >= 0)
            {
                path = rest.Substring(slash + 1);
                rest = rest.Substring(0, slash);
            }
            var builder = new NpgsqlConnectionStringBuilder();
            // The user part ends at the last '@': a host never holds one, a password pasted raw may.
            int at = rest.LastIndexOf('@');
            if (at >= 0)
            {
                var userInfo = rest.Substring(0, at);
                rest = rest.Substring(at + 1);
                int colon = userInfo.IndexOf(':');
                var user = Decode(colon >= 0 ? userInfo.Substring(0, colon) : userInfo, "the user name");
                if (user.Length > 0) builder.Username = user;
                if (colon >= 0) builder.Password = Decode(userInfo.Substring(colon + 1), "the password");
            }
            var hosts = ParseHosts(rest);
            if (hosts.Count == 1)
            {
                if (hosts[0].Host.Length > 0) builder.Host = hosts[0].Host;
                if (hosts[0].Port is int port) builder.Port = port;
            }
            else if (hosts.Count > 1)
            {
                if (hosts.Any(h => h.Host.Length == 0)) throw Invalid("one of its several hosts is empty");
                // Npgsql tries Host=h1:p1,h2:p2 in order, as libpq does.
                builder.Host = string.Join(",", hosts.Select(h => (h.Host.Contains(':') ? "[" + h.Host + "]" : h.Host) + (h.Port is int p ? ":" + p.ToString(CultureInfo.InvariantCulture) : "")));
            }
            if (!string.IsNullOrEmpty(path))
            {
                builder.Database = Decode(path!, "the database name");
            }
            if (query != null) ApplyQuery(builder, query, given);
            if (string.IsNullOrEmpty(builder.Host))
            {
                throw Invalid("it names no host. Give one, e.g. 'postgresql://user@db1/database', or a unix socket folder as '?host=/var/run/postgresql'");
            }
            return builder;
        }

        private static List<(string Host, int? Port)> ParseHosts(string authority)
        {
            var hosts = new List<(string, int?)>();
            if (authority.Length == 0) return hosts;
            foreach (var part in authority.Split(','))
            {
                string host = part;
                string? port = null;
                if (part.StartsWith("[", StringComparison.Ordinal))
                {
                    int close = part.IndexOf(']');
                    if (close < 0) throw Invalid("an IPv6 host has no closing ']'");
                    host = part.Substring(1, close - 1);
                    var after = part.Substring(close + 1);
                    if (after.Length > 0)
                    {
                        if (after[0] != ':') throw Invalid("an IPv6 host is followed by something other than ':port'");
                        port = after.Substring(1);
                    }
                }
                else
                {
                    int colon = part.LastIndexOf(':');
                    if (colon >= 0)
                    {
                        host = part.Substring(0, colon);
                        port = part.Substring(colon + 1);
                    }
                    host = Decode(host, "a host"); // an encoded path (%2Fvar%2Frun%2Fpostgresql) is a socket folder
                }
                hosts.Add((host, port == null || port.Length == 0 ? (int?)null : ParsePort(Decode(port, "a port"))));
            }
            return hosts;
        }

        private static int ParsePort(string text)
        {
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port < 1 || port > 65535)
            {
                throw Invalid("a port is not a number from 1 to 65535");
            }
            return port;
        }

        private static void ApplyQuery(NpgsqlConnectionStringBuilder builder, string query, ISet<string> given)
        {
            foreach (var pair in query.Split('&'))
            {
                if (pair.Length == 0) continue;
                int eq = pair.IndexOf('=');
                if (eq < 0) throw Invalid("a query parameter has no '=value'");
                var name = Decode(pair.Substring(0, eq), "a query parameter's name");
                if (!UriParameters.TryGetValue(name, out var keyword))
                {
                    throw Invalid($"the query parameter '{name}' is not one this converter knows (it knows {string.Join(", ", UriParameters.Keys)})");
                }
                var value = Decode(pair.Substring(eq + 1), $"the value of '{name}'");
                if (name == "sslmode")
                {
                    if (!SslModes.TryGetValue(value, out var mode)) throw Invalid($"sslmode must be one of {string.Join(", ", SslModes.Keys)}");
                    value = mode;
                }
                given.Add(Canonical(keyword));
                if (name == "port") value = ParsePort(value).ToString(CultureInfo.InvariantCulture);
                try
                {
                    builder[keyword] = value;
                }
                catch (Exception e) when (e is ArgumentException || e is FormatException || e is InvalidCastException)
                {
                    throw Invalid(name == "password" || name == "sslpassword" ? $"the value of '{name}' is not valid" : $"the value of '{name}' is not valid for Npgsql's '{keyword}'");
                }
            }
        }

        /// <summary>Percent-decodes as libpq does: UTF-8, '%' followed by two hex digits, no NUL, and '+' kept as '+'.</summary>
        private static string Decode(string text, string what)
        {
            if (text.IndexOf('%') < 0) return text;
            var bytes = new List<byte>(text.Length);
            for (int i = 0; i < text.Length; i++)
            {
                char c = text[i];
                if (c != '%')
                {
                    bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
                    continue;
                }
                if (i + 2 >= text.Length || !IsHex(text[i + 1]) || !IsHex(text[i + 2])) throw Invalid($"{what} has a '%' that is not followed by two hex digits");
                var b = byte.Parse(text.Substring(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (b == 0) throw Invalid($"{what} holds %00");
                bytes.Add(b);
                i += 2;
            }
            try
            {
                return StrictUtf8.GetString(bytes.ToArray());
            }
            catch (DecoderFallbackException)
            {
                throw Invalid($"{what} is not UTF-8 once percent-decoded");
            }
        }

        private static bool IsHex(char c) => (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');

        private static string Escape(string text) => Uri.EscapeDataString(text);

        private static IEnumerable<(string Host, int Port)> Hosts(NpgsqlConnectionStringBuilder builder)
        {
            foreach (var host in (builder.Host ?? "").Split(new[] { ',' }, StringSplitOptions.RemoveEmptyEntries))
            {
                var h = host.Trim();
                int port = builder.Port;
                int colon = h.LastIndexOf(':');
                if (!h.StartsWith("/", StringComparison.Ordinal) && colon > h.LastIndexOf(']') && int.TryParse(h.Substring(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var p))
                {
                    port = p;
                    h = h.Substring(0, colon);
                }
                yield return (h.Trim('[', ']'), port);
            }
        }

        private static string FormatLocation(NpgsqlConnectionStringBuilder builder)
        {
            var text = new StringBuilder("postgresql://");
            if (!string.IsNullOrEmpty(builder.Username)) text.Append(Escape(builder.Username!)).Append('@');
            text.Append(string.Join(",", Hosts(builder).Select(h =>
                (h.Host.StartsWith("/", StringComparison.Ordinal) ? Escape(h.Host) : h.Host.Contains(':') ? "[" + h.Host + "]" : h.Host)
                + ":" + h.Port.ToString(CultureInfo.InvariantCulture))));
            if (!string.IsNullOrEmpty(builder.Database)) text.Append('/').Append(Escape(builder.Database!));
            // Two stores in one database differ by their schema: the search path is part of the name.
            var options = string.Join(" ", new[] { builder.Options, string.IsNullOrEmpty(builder.SearchPath) ? null : "-c search_path=" + builder.SearchPath }
                .Where(o => !string.IsNullOrEmpty(o)));
            if (options.Length > 0) text.Append("?options=").Append(Escape(options));
            return text.ToString();
        }

        private static string FormatEndpoint(NpgsqlConnectionStringBuilder builder) => string.Join(", ", Hosts(builder).Select(h =>
            h.Host.StartsWith("/", StringComparison.Ordinal)
                ? $"the unix socket {h.Host.TrimEnd('/')}/.s.PGSQL.{h.Port.ToString(CultureInfo.InvariantCulture)}"
                : $"{(h.Host.Contains(':') ? "[" + h.Host + "]" : h.Host)}:{h.Port.ToString(CultureInfo.InvariantCulture)}"));
    }
}
