namespace Agno.Hosting
{
    /// <summary>
    /// The script an <see cref="ItemWorkers"/> worker runs: it takes, once, what every item shares (the
    /// script, parsed; its functions and modules, in the loop's scope, which each item's scope sees),
    /// then runs item after item while the worker gives it one, each in a scope of its own that holds
    /// what the step's bootstrap (<see cref="StepBootstrap"/>) would give it: copies of its variables,
    /// $AgnoSession, $_. The body is written out here rather than calling the bootstrap, whose
    /// parameter binding cost more than a small item. Nothing here catches what an item throws: that
    /// ends the loop, and the worker judges the item as a step on its own is judged (Stop-AgnoWorkflow's
    /// error included, which ends the item successfully).
    /// </summary>
    internal static class ItemLoop
    {
        public const string FunctionName = "__AgnoRunItems";

        public const string Script = @"
param($AgnoWorker, $AgnoStepCode, $AgnoStepFile, $AgnoStepLocation, [hashtable]$AgnoStepFunctions, [string[]]$AgnoStepModules)" + StepBootstrap.LoadFunctionsAndModules + @"
$AgnoStepCode = [System.Management.Automation.Language.Parser]::ParseInput($AgnoStepCode, $AgnoStepFile, [ref]$null, [ref]$null).GetScriptBlock()
while ($AgnoWorker.Next()) {
    if ($AgnoStepLocation -and $PWD.ProviderPath -ne $AgnoStepLocation) { Set-Location -LiteralPath $AgnoStepLocation }
    & {
        $AgnoStepVariables = $AgnoWorker.Variables" + StepBootstrap.SetVariables + @"
        $AgnoSession = $AgnoWorker.Session
        $AgnoStepArguments = $AgnoWorker.Arguments
        $_ = $AgnoWorker.Item
        & $AgnoStepCode @AgnoStepArguments 3>&1 4>&1 5>&1 6>&1
        $AgnoWorker.End
    }
}
";
    }
}
