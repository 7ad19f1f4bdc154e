namespace Agno.Hosting
{
    /// <summary>
    /// The script every step runs in. The step's code runs in a child scope of it, which holds what the
    /// step is given: copies of $using: values and -Variable variables, -Function functions, -Module
    /// modules, $AgnoSession, $_ (a copy of the pipeline item it runs for), the caller's location, and the file its code came from (so that
    /// $PSScriptRoot, $PSCommandPath and error positions are the script's own). Warning, verbose, debug
    /// and information records are merged into the output so that they reach the caller in the order
    /// written (and under Inline, where a nested pipeline would write them straight to the host, at
    /// all); <see cref="StepStreams"/> sorts them out again. The last thing written is the end marker:
    /// missing, the code called exit. Stop-AgnoWorkflow ends the code early and successfully. Pooled
    /// runspaces hold it as a function, compiled once; it is kept
    /// small, as every line costs every step.
    /// </summary>
    internal static class StepBootstrap
    {
        public const string FunctionName = "__AgnoRunStep";

        /// <summary>
        /// The bootstrap in this process: Stop-AgnoWorkflow's error ends the pipeline, and the invoker
        /// takes it as the step's successful end (see <see cref="ScriptRun.StoppedTheWorkflow"/>).
        /// </summary>
        public static readonly string Script = Template.Replace("{Run}", "& $AgnoStepCode @AgnoStepArguments 3>&1 4>&1 5>&1 6>&1");

        /// <summary>
        /// The bootstrap for a step in another process, whose records reach the caller through the
        /// pipeline's own streams: merged into its output they would arrive as Deserialized.* bags.
        /// There the step's changes must come back after a stop, so Stop-AgnoWorkflow's error is caught
        /// around the code, which makes a statement-terminating error end the whole step (about_Agno says so).
        /// </summary>
        public static readonly string SeparateStreamsScript = Template.Replace("{Run}",
            "try { & $AgnoStepCode @AgnoStepArguments } catch { if ($_.FullyQualifiedErrorId -ne 'AgnoWorkflowStopped') { throw } }");

        /// <summary>Sets the copies of $using: values and -Variable variables in the current scope (also run by <see cref="ItemLoop"/>).</summary>
        internal const string SetVariables = @"
if ($AgnoStepVariables) { foreach ($__agnoEntry in $AgnoStepVariables.GetEnumerator()) { $ExecutionContext.SessionState.PSVariable.Set($__agnoEntry.Key, $__agnoEntry.Value) } }";

        /// <summary>Defines the -Function functions and imports the -Module modules in the current scope (also run by <see cref="ItemLoop"/>).</summary>
        internal const string LoadFunctionsAndModules = @"
if ($AgnoStepFunctions) { foreach ($__agnoEntry in $AgnoStepFunctions.GetEnumerator()) { . ([scriptblock]::Create(""function $($__agnoEntry.Key) {`n$($__agnoEntry.Value)`n}"")) } }
if ($AgnoStepModules) { foreach ($__agnoEntry in $AgnoStepModules) { Import-Module $__agnoEntry -ErrorAction Stop } }";

        private const string Template = @"
param($AgnoStepCode, $AgnoStepFile, $AgnoStepLocation, $AgnoStepSession, [hashtable]$AgnoStepVariables, [hashtable]$AgnoStepFunctions, [string[]]$AgnoStepModules, [object[]]$AgnoStepArguments, $AgnoStepEnd, [object[]]$AgnoStepItem)
if ($AgnoStepLocation) { Set-Location -LiteralPath $AgnoStepLocation }" + SetVariables + LoadFunctionsAndModules + @"
if ($null -ne $AgnoStepSession) { $AgnoSession = $AgnoStepSession }
if ($null -ne $AgnoStepItem) { $_ = $AgnoStepItem[0] }
if ($AgnoStepCode -is [string]) { $AgnoStepCode = [System.Management.Automation.Language.Parser]::ParseInput($AgnoStepCode, $AgnoStepFile, [ref]$null, [ref]$null).GetScriptBlock() }
{Run}
$AgnoStepEnd
";
    }
}
