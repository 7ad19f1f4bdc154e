namespace Agno.Hosting
{
    /// <summary>
    /// The script an <see cref="ItemWorkers"/> worker runs: it takes, once, what every item shares (the
    /// script, parsed; its functions and modules, in the loop's scope, which each item's scope sees),
    /// then runs the step's bootstrap for item after item while the worker gives it one. Nothing here
    /// catches what an item throws: that ends the loop, and the item fails as a step on its own would.
    /// </summary>
    internal static class ItemLoop
    {
        public const string FunctionName = "__AgnoRunItems";

        public const string Script = @"
param($AgnoWorker, $AgnoStepCode, $AgnoStepFile, $AgnoStepLocation, [hashtable]$AgnoStepFunctions, [string[]]$AgnoStepModules)
if ($AgnoStepFunctions) { foreach ($__agnoEntry in $AgnoStepFunctions.GetEnumerator()) { . ([scriptblock]::Create(""function $($__agnoEntry.Key) {`n$($__agnoEntry.Value)`n}"")) } }
if ($AgnoStepModules) { foreach ($__agnoEntry in $AgnoStepModules) { Import-Module $__agnoEntry -ErrorAction Stop } }
$AgnoStepCode = [System.Management.Automation.Language.Parser]::ParseInput($AgnoStepCode, $AgnoStepFile, [ref]$null, [ref]$null).GetScriptBlock()
while ($AgnoWorker.Next()) {
    if ($AgnoStepLocation -and $PWD.ProviderPath -ne $AgnoStepLocation) { Set-Location -LiteralPath $AgnoStepLocation }
    " + StepBootstrap.FunctionName + @" $AgnoStepCode $null $null $AgnoWorker.Session $AgnoWorker.Variables $null $null $AgnoWorker.Arguments $AgnoWorker.End $AgnoWorker.Item
}
";
    }
}
