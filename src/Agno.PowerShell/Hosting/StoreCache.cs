using System;
using System.Collections.Concurrent;
using System.Management.Automation;
using Agno.Core;
using Agno.Storage.PostgreSql;
using Agno.Values;

namespace Agno.Hosting
{
    /// <summary>
    /// One open store per file or database in this process, shared by every runspace: SQLite serializes
    /// the writers of all processes, and this keeps one connection per file in ours; a PostgreSQL store
    /// keeps one connection pool. -Store, else $env:AGNO_STORE, names the store: a file path, or a
    /// postgres:// URI or keyword string (Host=…); without either, sessions live in memory only.
    /// </summary>
    internal static class StoreCache
    {
        public const string EnvironmentVariable = "AGNO_STORE";

        // By the full path of a file, or by what a database is connected with (a wrong password is another store).
        private static readonly ConcurrentDictionary<string, Lazy<ISessionStore>> Stores =
            new ConcurrentDictionary<string, Lazy<ISessionStore>>(StringComparer.Ordinal);

        // A database store also by its Location (no password), so that what Get-AgnoSession wrote pipes
        // to Remove-AgnoSession and Get-AgnoRun and reaches the store opened with the password.
        private static readonly ConcurrentDictionary<string, ISessionStore> ByLocation =
            new ConcurrentDictionary<string, ISessionStore>(StringComparer.Ordinal);

        /// <summary>
        /// The store <paramref name="store"/> names (a path resolved against the caller's location), or
        /// $env:AGNO_STORE's, or null. What is created where there is nothing is <paramref name="creation"/>'s to say.
        /// </summary>
        public static ISessionStore? Resolve(PSCmdlet caller, string? store, StoreCreation creation)
        {
            if (string.IsNullOrWhiteSpace(store)) store = Environment.GetEnvironmentVariable(EnvironmentVariable);
            if (string.IsNullOrWhiteSpace(store)) return null;
            if (PostgresTarget.IsPostgres(store!))
            {
                if (ByLocation.TryGetValue(store!, out var known)) return known;
                var key = "postgresql:" + PostgresTarget.Parse(store!).Key;
                return Open(key, () =>
                {
                    var opened = new PostgresSessionStore(store!, PSTypedJsonCodec.Instance, creation);
                    ByLocation[opened.Location] = opened;
                    return opened;
                });
            }
            var full = System.IO.Path.GetFullPath(caller.SessionState.Path.GetUnresolvedProviderPathFromPSPath(store));
            if (Stores.TryGetValue(full, out var cached) && cached.IsValueCreated && cached.Value is SqliteSessionStore file && !file.IsCurrent && Stores.TryRemove(full, out _))
            {
                // Its file was deleted or replaced: the sessions opened on it keep failing (they never
                // touch the new file); what is opened from now on uses the file at the path now.
                file.Dispose();
            }
            return Open(full, () => new SqliteSessionStore(full, PSTypedJsonCodec.Instance, creation: creation));
        }

        private static ISessionStore Open(string key, Func<ISessionStore> open)
        {
            var lazy = Stores.GetOrAdd(key, _ => new Lazy<ISessionStore>(open));
            try
            {
                return lazy.Value;
            }
            catch (StoreException e)
            {
                Stores.TryRemove(key, out _); // a store that failed to open is tried afresh next time
                if (e.ErrorId == "AgnoStoreFolderNotFound") throw new StoreException(e.ErrorId, e.Message + " Add -Force to create it.", e);
                throw;
            }
            catch
            {
                Stores.TryRemove(key, out _);
                throw;
            }
        }

        /// <summary>Closes every open store (the module is being removed): files are closed, connection pools emptied; sessions opened from them can no longer save.</summary>
        public static void CloseAll()
        {
            ByLocation.Clear();
            foreach (var key in Stores.Keys)
            {
                if (Stores.TryRemove(key, out var store) && store.IsValueCreated) store.Value.Dispose();
            }
        }
    }
}
