using System;
using System.IO;
using System.Management.Automation;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Agno.Hosting
{
    /// <summary>
    /// On import, teaches the runtime where the module keeps SQLite's native library
    /// (runtimes/&lt;rid&gt;/native, as NuGet lays it out), which PowerShell does not search itself.
    /// Uses NativeLibrary by reflection: the module is built for netstandard2.0.
    /// </summary>
    public sealed class ModuleLifetime : IModuleAssemblyInitializer
    {
        private static int _done;

        public void OnImport()
        {
            if (System.Threading.Interlocked.Exchange(ref _done, 1) == 1) return;
            var nativeLibrary = Type.GetType("System.Runtime.InteropServices.NativeLibrary");
            var resolverType = Type.GetType("System.Runtime.InteropServices.DllImportResolver");
            if (nativeLibrary == null || resolverType == null) return;
            Assembly provider;
            try
            {
                provider = Assembly.Load(new AssemblyName("SQLitePCLRaw.provider.e_sqlite3"));
            }
            catch (IOException)
            {
                return;
            }
            var resolver = Delegate.CreateDelegate(resolverType, typeof(ModuleLifetime).GetMethod(nameof(Resolve), BindingFlags.NonPublic | BindingFlags.Static)!);
            try
            {
                nativeLibrary.GetMethod("SetDllImportResolver")!.Invoke(null, new object[] { provider, resolver });
            }
            catch (TargetInvocationException e) when (e.InnerException is InvalidOperationException)
            {
                // a resolver is already set for that assembly (the module was imported before)
            }
        }

        private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
        {
            if (libraryName != "e_sqlite3") return IntPtr.Zero;
            var path = Path.Combine(Path.GetDirectoryName(typeof(ModuleLifetime).Assembly.Location)!, "runtimes", RuntimeId(), "native", FileName(libraryName));
            if (!File.Exists(path)) return IntPtr.Zero;
            var load = Type.GetType("System.Runtime.InteropServices.NativeLibrary")!.GetMethod("Load", new[] { typeof(string) })!;
            return (IntPtr)load.Invoke(null, new object[] { path })!;
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
