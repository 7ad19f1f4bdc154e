using System;
using System.Collections.Concurrent;
using System.IO;
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

        private static readonly ConcurrentDictionary<string, Lazy<ISessionStore>> Stores =
            new ConcurrentDictionary<string, Lazy<ISessionStore>>(StringComparer.Ordinal);

        /// <summary>
        /// The store at <paramref name="path"/> (resolved against the caller's location), or $env:AGNO_STORE's,
        /// or null. Only <paramref name="create"/> makes a store where there is none.
        /// </summary>
        public static ISessionStore? Resolve(PSCmdlet caller, string? path, bool create = true)
        {
            if (string.IsNullOrWhiteSpace(path)) path = Environment.GetEnvironmentVariable(EnvironmentVariable);
            if (string.IsNullOrWhiteSpace(path)) return null;
            var full = caller.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
            if (!create && !File.Exists(full))
            {
                throw new StoreException("AgnoStoreNotFound", $"There is no store at '{full}'. Check the path; New-AgnoSession -Store creates one.");
            }
            full = Path.GetFullPath(full);
            if (Stores.TryGetValue(full, out var cached) && cached.IsValueCreated && !File.Exists(full) && Stores.TryRemove(full, out _))
            {
                cached.Value.Dispose(); // its file was deleted: a new store is made below
            }
            var lazy = Stores.GetOrAdd(full, p => new Lazy<ISessionStore>(() => new SqliteSessionStore(p, PSTypedJsonCodec.Instance)));
            try
            {
                return lazy.Value;
            }
            catch
            {
                Stores.TryRemove(full, out _); // a store that failed to open is tried afresh next time
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
