using System;
using System.IO;
using System.Runtime.CompilerServices;
using Agno.Core;

namespace Agno.Hosting
{
    /// <summary>
    /// What runs on the far side of a remote or process step, which needs only PowerShell 7. Agno brings
    /// its engine along: on a connection's first use, <see cref="LoadScript"/> loads Agno.Core and
    /// Agno.PowerShell, sent as bytes, into that PowerShell's process (writing nothing to its disk) and
    /// imports the cmdlets there; then each step is one pipeline of <see cref="StepScript"/>.
    /// </summary>
    internal static class RemoteBootstrap
    {
        /// <summary>Runspaces (ours, or a user's PSSession) whose process has the engine loaded and imported.</summary>
        private static readonly ConditionalWeakTable<object, object> Loaded = new ConditionalWeakTable<object, object>();

        private static readonly Lazy<(byte[] Core, byte[] Module)> Engine = new Lazy<(byte[], byte[])>(() =>
            (File.ReadAllBytes(typeof(AgnoState).Assembly.Location), File.ReadAllBytes(typeof(RemoteBootstrap).Assembly.Location)));

        /// <summary>
        /// Loads the engine unless this process has it. Assemblies are loaded into the default context
        /// (Assembly.Load(byte[]) would give each a context of its own, where Agno.PowerShell cannot find
        /// Agno.Core); a process holds one build by name, so another build found there is an error.
        /// </summary>
        public const string LoadScript = @"
param([byte[]] $AgnoCore, [byte[]] $AgnoModule, [string] $AgnoBuild, [string] $AgnoVersion)
$loaded = @([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -in 'Agno.Core', 'Agno.PowerShell' })
$module = $loaded | Where-Object { $_.GetName().Name -eq 'Agno.PowerShell' }
if ($loaded.Count -eq 0) {
    $null = [System.Runtime.Loader.AssemblyLoadContext]::Default.LoadFromStream([System.IO.MemoryStream]::new($AgnoCore))
    $module = [System.Runtime.Loader.AssemblyLoadContext]::Default.LoadFromStream([System.IO.MemoryStream]::new($AgnoModule))
}
elseif (-not $module -or ""$($module.ManifestModule.ModuleVersionId)"" -ne $AgnoBuild) {
    throw ""This PowerShell already has another build of Agno loaded ($(($loaded | ForEach-Object { $_.GetName().ToString() }) -join '; ')), and a process holds one: Agno $AgnoVersion cannot bring its own. Use a session where no other Agno was imported.""
}
Import-Module -Assembly $module
";

        /// <summary>
        /// One step: its session entered, the bootstrap run, and (only when the step ran to its end) the
        /// tagged delta written last. The session is left in a clean block, which runs however the step
        /// ends (a throw, exit, a stop) without a try around the step, which would make any
        /// statement-terminating error in it end the whole step, as it does not in this process.
        /// </summary>
        public static readonly string StepScript = @"
param([string] $AgnoRequest, [string] $AgnoResultTag)
end {
    $private:agnoScope = [Agno.Hosting.RemoteStepScope]::Enter($AgnoRequest)
    $private:agnoParameters = $agnoScope.Parameters
    & {" + StepBootstrap.SeparateStreamsScript + @"} @agnoParameters
    $AgnoResultTag + $agnoScope.Finish()
}
clean {
    if ($agnoScope) { $agnoScope.Dispose() }
}
";

        /// <summary>True once the process behind <paramref name="runspace"/> has the engine.</summary>
        public static bool HasEngine(object runspace) => Loaded.TryGetValue(runspace, out _);

        public static void EngineLoaded(object runspace) => Loaded.GetValue(runspace, _ => runspace);

        /// <summary>The loader's arguments: the two assemblies, the module's build id (to recognize our own) and version (for messages).</summary>
        public static (byte[] Core, byte[] Module, string Build, string Version) LoadArguments()
        {
            var module = typeof(RemoteBootstrap).Assembly;
            return (Engine.Value.Core, Engine.Value.Module, module.ManifestModule.ModuleVersionId.ToString(), module.GetName().Version?.ToString() ?? "");
        }
    }
}
