using System;
using System.Collections.Concurrent;
using System.Management.Automation;
using Agno.Core;
using Agno.Values;

namespace Agno.Hosting
{
    /// <summary>
    /// One open store per file in this process, shared by every runspace: SQLite serializes the
    /// writers of all processes; this keeps one connection per file in ours. -Store, else
    /// $env:AGNO_STORE, names the store; without either, sessions live in memory only.
    /// </summary>
    internal static class StoreCache
    {
        public const string EnvironmentVariable = "AGNO_STORE";

        private static readonly ConcurrentDictionary<string, Lazy<SqliteSessionStore>> Stores =
            new ConcurrentDictionary<string, Lazy<SqliteSessionStore>>(StringComparer.Ordinal);

        /// <summary>
        /// The store at <paramref name="path"/> (resolved against the caller's location), or $env:AGNO_STORE's,
        /// or null. What is created where there is nothing is <paramref name="creation"/>'s to say.
        /// </summary>
        public static ISessionStore? Resolve(PSCmdlet caller, string? path, StoreCreation creation)
        {
            if (string.IsNullOrWhiteSpace(path)) path = Environment.GetEnvironmentVariable(EnvironmentVariable);
            if (string.IsNullOrWhiteSpace(path)) return null;
            var full = System.IO.Path.GetFullPath(caller.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path));
            if (Stores.TryGetValue(full, out var cached) && cached.IsValueCreated && !cached.Value.IsCurrent && Stores.TryRemove(full, out _))
            {
                // Its file was deleted or replaced: the sessions opened on it keep failing (they never
                // touch the new file); what is opened from now on uses the file at the path now.
                cached.Value.Dispose();
            }
            var lazy = Stores.GetOrAdd(full, p => new Lazy<SqliteSessionStore>(() => new SqliteSessionStore(p, PSTypedJsonCodec.Instance, creation: creation)));
            try
            {
                return lazy.Value;
            }
            catch (StoreException e)
            {
                Stores.TryRemove(full, out _); // a store that failed to open is tried afresh next time
                if (e.ErrorId == "AgnoStoreFolderNotFound") throw new StoreException(e.ErrorId, e.Message + " Add -Force to create it.", e);
                throw;
            }
            catch
            {
                Stores.TryRemove(full, out _);
                throw;
            }
        }

        /// <summary>Closes every open store (the module is being removed); sessions opened from them can no longer save.</summary>
        public static void CloseAll()
        {
            foreach (var path in Stores.Keys)
            {
                if (Stores.TryRemove(path, out var store) && store.IsValueCreated) store.Value.Dispose();
            }
        }
    }
}
