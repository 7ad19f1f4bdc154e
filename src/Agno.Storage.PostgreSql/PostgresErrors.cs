using System;
using System.Globalization;
using System.Net.Sockets;
using Agno.Core;
using Npgsql;

namespace Agno.Storage.PostgreSql
{
    /// <summary>
    /// What Npgsql's failures mean to a user of the store: each becomes a <see cref="StoreException"/>
    /// with its own id, naming the server (host and port, or socket) and never the password (Npgsql's
    /// own messages hold none; the store string is never quoted).
    /// </summary>
    internal static class PostgresErrors
    {
        /// <summary>True for a failure that trying again can fix: the server restarting, a dropped or refused connection.</summary>
        public static bool IsTransient(Exception e, bool connected) => e switch
        {
            // A lock or statement timeout the user set is an answer, not an outage: retrying would defeat it.
            PostgresException pg => pg.IsTransient && pg.SqlState != "55P03" && pg.SqlState != "57014",
            // A statement that outlived the command timeout is not retried: it would only wait again.
            NpgsqlException { InnerException: TimeoutException _ } => !connected,
            NpgsqlException n => n.IsTransient,
            _ => false,
        };

        public static StoreException Translate(Exception e, PostgresTarget target, bool write, bool connected, bool inDoubt, TimeSpan? retriedFor)
        {
            var builder = target.Builder;
            string user = builder.Username ?? Environment.UserName;
            string server = $"The PostgreSQL server at {target.Endpoint}";
            string nothing = inDoubt
                ? "The change was sent but its commit was not confirmed, so whether it was saved is unknown: read the session again once the server answers."
                : write ? "Nothing was saved." : "Nothing was read.";
            switch (e)
            {
                case PostgresException pg when pg.SqlState == "28P01" || pg.SqlState == "28000":
                    return new StoreException("AgnoStoreAuthenticationFailed",
                        $"{server} refused user '{user}' ({pg.SqlState}: {pg.MessageText}). {nothing} Give the user's password in $env:PGPASSWORD or ~/.pgpass (or in the store string), or check the user name.", e);
                case NpgsqlException n when !(n is PostgresException) && n.Message.IndexOf("No password has been provided", StringComparison.Ordinal) >= 0:
                    return new StoreException("AgnoStoreAuthenticationFailed",
                        $"{server} asks user '{user}' for a password, and none was given. {nothing} Put it in $env:PGPASSWORD or ~/.pgpass (or in the store string).", e);
                case PostgresException pg when pg.SqlState == "3D000":
                    return new StoreException("AgnoStoreDatabaseNotFound",
                        $"{server} has no database '{builder.Database ?? user}'. {nothing} Check the name, or create the database (CREATE DATABASE) first.", e);
                case PostgresException pg when pg.SqlState == "42501":
                    return new StoreException("AgnoStoreAccessDenied",
                        $"{server} denied user '{user}' access to the store's tables in database '{builder.Database ?? user}' ({pg.SqlState}: {pg.MessageText}). {nothing} Grant the user the rights it needs, or use the role that owns the tables.", e);
                case PostgresException pg when pg.SqlState == "57014":
                    return new StoreException("AgnoStoreTimeout",
                        $"{server} cancelled a statement of store '{target.Location}' ({pg.SqlState}: {pg.MessageText}). {nothing} Raise statement_timeout for the store's user, or look for what holds the store's rows.", e);
                case NpgsqlException { InnerException: TimeoutException _ } when connected:
                    return new StoreException("AgnoStoreTimeout",
                        $"{server} did not answer a statement of store '{target.Location}' within the command timeout ({builder.CommandTimeout.ToString(CultureInfo.InvariantCulture)} s). {nothing} Raise 'Command Timeout' in the store string, or look for what holds the store's rows.", e);
                case PostgresException pg when pg.SqlState == "55P03":
                    return new StoreException("AgnoStoreBusy",
                        $"A session's row in store '{target.Location}' stayed locked by another writer past lock_timeout ({pg.MessageText}). {nothing} Try again, or look for a session holding it.", e);
                case PostgresException pg when !pg.IsTransient:
                    return new StoreException("AgnoStoreWriteFailed",
                        $"Store '{target.Location}' could not be {(write ? "written" : "read")}: {pg.SqlState}: {pg.MessageText}. {nothing} (the transaction was rolled back).", e);
                default:
                    string tried = retriedFor is TimeSpan t && t > TimeSpan.Zero ? $", and still not after trying for {t.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s" : "";
                    return new StoreException("AgnoStoreUnavailable",
                        $"{server} cannot be reached for store '{target.Location}' ({Reason(e, target)}){tried}. {nothing} Check that the server runs and accepts connections there.", e);
            }
        }

        private static string Reason(Exception e, PostgresTarget target)
        {
            if (e is PostgresException pg) return $"{pg.SqlState}: {pg.MessageText}";
            if (e.InnerException is TimeoutException) return $"no answer within the connect timeout of {target.Builder.Timeout.ToString(CultureInfo.InvariantCulture)} s";
            var inner = e.InnerException;
            while (inner != null && !(inner is SocketException) && !(inner is TimeoutException) && !(inner is System.IO.IOException) && inner.InnerException != null) inner = inner.InnerException;
            return inner == null || inner.Message == e.Message ? e.Message : $"{e.Message}: {inner.Message}";
        }
    }
}
