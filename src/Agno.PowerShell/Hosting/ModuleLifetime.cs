using System;
using System.IO;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Threading;

namespace Agno.Hosting
{
    /// <summary>
    /// The module's life in the process. On the first import it teaches the runtime where the module
    /// keeps SQLite's native library (runtimes/&lt;rid&gt;/native, as NuGet lays it out), which PowerShell
    /// does not search itself. When the last runspace that imported it removes it (Remove-Module Agno),
    /// it closes what the module holds for the process: pooled step runspaces, connections to other
    /// hosts and child processes, and open stores.
    /// The pooled runspaces import the module too; they are not counted.
    /// </summary>
    public sealed class ModuleLifetime : IModuleAssemblyInitializer, IModuleAssemblyCleanup
    {
        private static int _resolverSet;
        private static int _importers;

        /// <inheritdoc/>
        public void OnImport()
        {
            if (!InStepRunspace()) Interlocked.Increment(ref _importers);
            if (Interlocked.Exchange(ref _resolverSet, 1) == 1) return;
            Assembly provider;
            try
            {
                provider = Assembly.Load(new AssemblyName("SQLitePCLRaw.provider.e_sqlite3"));
            }
            catch (IOException)
            {
                return;
            }
            try
            {
                NativeLibrary.SetDllImportResolver(provider, Resolve);
            }
            catch (InvalidOperationException)
            {
                // a resolver is already set for that assembly (the module was imported before)
            }
        }

        /// <inheritdoc/>
        public void OnRemove(PSModuleInfo psModuleInfo)
        {
            if (InStepRunspace() || Interlocked.Decrement(ref _importers) > 0) return;
            StepRunspaces.Shared.Clear();
            ConnectionPool.Shared.CloseAll();
            StoreCache.CloseAll();
        }

        private static bool InStepRunspace() => Runspace.DefaultRunspace?.Name == StepRunspaces.RunspaceName;

        private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
        {
            if (libraryName != "e_sqlite3") return IntPtr.Zero;
            var path = Path.Combine(Path.GetDirectoryName(typeof(ModuleLifetime).Assembly.Location)!, "runtimes", RuntimeId(), "native", FileName(libraryName));
            return File.Exists(path) ? NativeLibrary.Load(path) : IntPtr.Zero;
        }

        private static string RuntimeId()
        {
            var arch = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) return "win-" + arch;
            if (RuntimeInformation.IsOSPlatform(OSPlatform.OSX)) return "osx-" + arch;
            return (File.Exists("/etc/alpine-release") ? "linux-musl-" : "linux-") + arch;
        }

        private static string FileName(string library)
        {
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) return library + ".dll";
            if (RuntimeInformation.IsOSPlatform(OSPlatform.OSX)) return "lib" + library + ".dylib";
            return "lib" + library + ".so";
        }
    }
}
