<#
.SYNOPSIS
    Benchmarks the Agno module against what PowerShell users use instead, and writes the results as JSON.
.DESCRIPTION
    Measures, in this process (each measurement repeated, the variants of one case interleaved so
    that a noisy neighbour hurts them alike):
      Parallel   N branches (10, 100, 1,000), each doing a trivial computation and setting one key,
                 with Invoke-AgnoParallel, ForEach-Object -Parallel plus a synchronized hashtable, and
                 Start-ThreadJob plus a synchronized hashtable, at equal throttle limits (5 and 2x cores).
      Pipeline   1,000 items piped into Invoke-AgnoParallel (each a trivial computation and one key set)
                 against ForEach-Object -Parallel writing a synchronized hashtable, same throttles.
      Loop       a New-AgnoLoop of 100 iterations of one trivial step against a workflow of 100 such steps.
      Workflow   a 10-step Invoke-AgnoWorkflow (runspace and inline isolation) against the same 10
                 scriptblocks called in a row; warm (each variant runs once before it is measured).
      Stored     a one-step workflow, a Set-AgnoState and a Get-AgnoState on a session stored in a
                 SQLite file against one in memory, and two bare SQLite commits for the disk's part.
    and, in fresh child processes:
      Import     Import-Module of out/Agno (and, for scale, of Microsoft.PowerShell.ThreadJob).
      ManyItems  100,000 trivial items piped into Invoke-AgnoParallel and into ForEach-Object -Parallel:
                 wall time and peak working set (one sample each).
      Memory     100 forks of a 100,000-key state (GC.GetTotalMemory and the working set), against the
                 state's own size; and, for scale, JSON clones of the same state (the seed's fork).
    -Quick runs each measurement once at tiny sizes: what the test suite runs so that no benchmark
    rots. Its numbers mean nothing.
.PARAMETER OutFile
    Where to write the JSON results (default: out/bench/module.json).
.PARAMETER ModulePath
    The module folder to import (default: out/Agno, as build.ps1 lays it out).
.EXAMPLE
    dotnet pwsh -NoProfile -File bench/Module.Benchmarks.ps1 -Quick
#>
[CmdletBinding()]
param(
    [switch] $Quick,
    [string] $OutFile = (Join-Path $PSScriptRoot '../out/bench/module.json'),
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/Agno')
)

$ErrorActionPreference = 'Stop'
# Progress bars measure the console, not the engine: off for every variant alike.
$ProgressPreference = 'SilentlyContinue'

$manifest = Join-Path (Resolve-Path $ModulePath) 'Agno.psd1'
if (-not (Test-Path $manifest)) { throw "The module is not built ($manifest is missing): run build.ps1 build first." }
Import-Module $manifest -Force
if (-not (Get-Command Start-ThreadJob -ErrorAction SilentlyContinue)) {
    throw 'Start-ThreadJob is not available (PowerShell 7.6 ships it as Microsoft.PowerShell.ThreadJob).'
}

$cores = [Environment]::ProcessorCount
$branchCounts = if ($Quick) { @(10) } else { @(10, 100, 1000) }
$throttles = if ($Quick) { @(2) } else { @(5, (2 * $cores)) | Sort-Object -Unique }
$stateKeys = if ($Quick) { 1000 } else { 100000 }
$forkCount = if ($Quick) { 10 } else { 100 }
$jsonClones = if ($Quick) { 1 } else { 10 }
function Get-Repeat([int] $Full) { if ($Quick) { 1 } else { $Full } }

$results = [System.Collections.Generic.List[object]]::new()

function Get-Stat([double[]] $Samples) {
    $sorted = @($Samples | Sort-Object)
    $n = $sorted.Count
    $median = if ($n % 2) { $sorted[($n - 1) / 2] } else { ($sorted[$n / 2 - 1] + $sorted[$n / 2]) / 2 }
    @{ Median = $median; Min = $sorted[0]; Max = $sorted[-1] }
}

function Add-Result([string] $Benchmark, [string] $Case, [string] $Variant, [string] $Unit, [double[]] $Samples) {
    $stat = Get-Stat $Samples
    $results.Add([ordered]@{
            Benchmark = $Benchmark
            Case      = $Case
            Variant   = $Variant
            Unit      = $Unit
            Samples   = $Samples
            Median    = $stat.Median
            Min       = $stat.Min
            Max       = $stat.Max
        })
    Write-Host ('{0,-9} {1,-28} {2,-34} median {3,12:N3} {4}  (min {5:N3}, max {6:N3}, n={7})' -f $Benchmark, $Case, $Variant, $stat.Median, $Unit, $stat.Min, $stat.Max, $Samples.Count)
}

# Runs each variant once unmeasured (warm-up), then $Repeat rounds in which every variant runs once:
# Setup (not timed) makes its context, Run is timed, Check must return $true (a benchmark that does
# not do its work fails rather than reporting a fast time). Returns the samples (ms) by variant.
function Measure-Variants([hashtable] $Context, [System.Collections.Specialized.OrderedDictionary] $Variants, [int] $Repeat) {
    $samples = [ordered]@{}
    foreach ($name in $Variants.Keys) { $samples[$name] = [System.Collections.Generic.List[double]]::new() }
    for ($round = 0; $round -le $Repeat; $round++) {
        foreach ($name in $Variants.Keys) {
            $variant = $Variants[$name]
            $state = & $variant.Setup $Context
            [GC]::Collect(); [GC]::WaitForPendingFinalizers()
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $null = & $variant.Run $Context $state
            $watch.Stop()
            if (-not (& $variant.Check $Context $state)) { throw "$name did not do its work ($($Context | ConvertTo-Json -Compress -Depth 1))." }
            if ($round -gt 0) { $samples[$name].Add($watch.Elapsed.TotalMilliseconds) }
        }
    }
    $samples
}

# --- Parallel: N branches, each a trivial computation and one key set -------------------------------

$parallelVariants = [ordered]@{
    'Invoke-AgnoParallel'                 = @{
        Setup = { param($c) New-AgnoSession }
        Run   = { param($c, $session) Invoke-AgnoParallel -Session $session -ScriptBlock $c.Blocks -ThrottleLimit $c.Throttle }
        Check = { param($c, $session) $session.State.Count -eq $c.N -and (Get-AgnoState -Session $session -Key "k$($c.N)") -eq 5050 + $c.N }
    }
    'ForEach-Object -Parallel + sync hashtable' = @{
        Setup = { param($c) [hashtable]::Synchronized(@{}) }
        Run   = {
            param($c, $sync)
            1..$c.N | ForEach-Object -ThrottleLimit $c.Throttle -Parallel {
                $d = $using:sync
                $x = 0; foreach ($j in 1..100) { $x += $j }
                $d["k$_"] = $x + $_
            }
        }
        Check = { param($c, $sync) $sync.Count -eq $c.N -and $sync["k$($c.N)"] -eq 5050 + $c.N }
    }
    'Start-ThreadJob + sync hashtable'    = @{
        Setup = { param($c) [hashtable]::Synchronized(@{}) }
        Run   = {
            param($c, $sync)
            $jobs = foreach ($i in 1..$c.N) {
                Start-ThreadJob -ThrottleLimit $c.Throttle -ArgumentList $i, $sync -ScriptBlock {
                    param($i, $d)
                    $x = 0; foreach ($j in 1..100) { $x += $j }
                    $d["k$i"] = $x + $i
                }
            }
            # Wait-Job with a time limit, not Receive-Job -Wait: with 1,000 queued thread jobs the latter
            # was seen to wait forever for output that never came (ThreadJob 2.2.0, PowerShell 7.6.9).
            $null = $jobs | Wait-Job -Timeout 900
            $unfinished = @($jobs | Where-Object { $_.State -notin 'Completed', 'Failed', 'Stopped' }).Count
            $jobs | Remove-Job -Force
            if ($unfinished) { throw "Start-ThreadJob: $unfinished of $($c.N) jobs had not finished after 15 minutes." }
        }
        Check = { param($c, $sync) $sync.Count -eq $c.N -and $sync["k$($c.N)"] -eq 5050 + $c.N }
    }
}

foreach ($n in $branchCounts) {
    # Agno takes one scriptblock per branch; they are made before timing, as the others' input is.
    $blocks = foreach ($i in 1..$n) {
        [scriptblock]::Create("`$x = 0; foreach (`$j in 1..100) { `$x += `$j }; Set-AgnoState -Key 'k$i' -Value (`$x + $i)")
    }
    foreach ($throttle in $throttles) {
        $context = @{ N = $n; Throttle = $throttle; Blocks = $blocks }
        $samples = Measure-Variants $context $parallelVariants (Get-Repeat $(if ($n -ge 1000) { 3 } else { 7 }))
        foreach ($name in $samples.Keys) { Add-Result 'Parallel' "N=$n, ThrottleLimit=$throttle" $name 'ms' $samples[$name] }
    }
}

# --- Pipeline: N items piped in, one branch each (issue 11) ---------------------------------------------

$pipelineVariants = [ordered]@{
    'Invoke-AgnoParallel (items piped in)'      = @{
        Setup = { param($c) New-AgnoSession }
        Run   = {
            param($c, $session)
            1..$c.N | Invoke-AgnoParallel -Session $session -ThrottleLimit $c.Throttle {
                $x = 0; foreach ($j in 1..100) { $x += $j }
                Set-AgnoState -Key "k$_" -Value ($x + $_)
            }
        }
        Check = { param($c, $session) $session.State.Count -eq $c.N -and (Get-AgnoState -Session $session -Key "k$($c.N)") -eq 5050 + $c.N }
    }
    'ForEach-Object -Parallel + sync hashtable' = $parallelVariants['ForEach-Object -Parallel + sync hashtable']
}
$pipelineItems = if ($Quick) { 10 } else { 1000 }
foreach ($throttle in $throttles) {
    $samples = Measure-Variants @{ N = $pipelineItems; Throttle = $throttle } $pipelineVariants (Get-Repeat 3)
    foreach ($name in $samples.Keys) { Add-Result 'Pipeline' "N=$pipelineItems, ThrottleLimit=$throttle" $name 'ms' $samples[$name] }
}

# --- Workflow: 10 steps against the same 10 scriptblocks called in a row -----------------------------

$stepBlocks = foreach ($i in 1..10) {
    [scriptblock]::Create("`$x = 0; foreach (`$j in 1..100) { `$x += `$j }; Set-AgnoState -Session `$AgnoSession -Key 'w$i' -Value (`$x + $i)")
}
$workflow = New-AgnoWorkflow -Name 'bench' -Step (1..10 | ForEach-Object { New-AgnoStep -Name "s$_" -ScriptBlock $stepBlocks[$_ - 1] })
$workflowVariants = [ordered]@{
    'Invoke-AgnoWorkflow (Runspace)' = @{
        Setup = { param($c) New-AgnoSession }
        Run   = { param($c, $session) Invoke-AgnoWorkflow -Workflow $c.Workflow -Session $session }
        Check = { param($c, $session) $session.State.Count -eq 10 }
    }
    'Invoke-AgnoWorkflow (Inline)'   = @{
        Setup = { param($c) New-AgnoSession }
        Run   = { param($c, $session) Invoke-AgnoWorkflow -Workflow $c.Workflow -Session $session -Isolation Inline }
        Check = { param($c, $session) $session.State.Count -eq 10 }
    }
    'scriptblocks called in a row'   = @{
        Setup = { param($c) New-AgnoSession }
        Run   = { param($c, $AgnoSession) foreach ($block in $c.Blocks) { & $block } }
        Check = { param($c, $session) $session.State.Count -eq 10 }
    }
}
$workflowSamples = Measure-Variants @{ Workflow = $workflow; Blocks = $stepBlocks } $workflowVariants (Get-Repeat 15)
foreach ($name in $workflowSamples.Keys) { Add-Result 'Workflow' '10 steps' $name 'ms' $workflowSamples[$name] }
# The overhead per step, paired round by round with the direct calls.
$direct = $workflowSamples['scriptblocks called in a row']
foreach ($isolation in 'Runspace', 'Inline') {
    $run = $workflowSamples["Invoke-AgnoWorkflow ($isolation)"]
    $perStep = for ($i = 0; $i -lt $run.Count; $i++) { ($run[$i] - $direct[$i]) / 10 }
    Add-Result 'Workflow' 'overhead per step' "Invoke-AgnoWorkflow ($isolation)" 'ms' $perStep
}

# --- Loop: 100 iterations of one trivial step against a workflow of 100 such steps (issue 11) --------

$tick = { Set-AgnoState -Key n -Value 1 }
$loopContext = @{
    Loop  = New-AgnoWorkflow -Name 'loop' -Step (New-AgnoLoop -Name 'again' -MaxIterations 100 -Step (New-AgnoStep -Name 'tick' -ScriptBlock $tick))
    Steps = New-AgnoWorkflow -Name 'steps' -Step (1..100 | ForEach-Object { New-AgnoStep -Name "tick$_" -ScriptBlock $tick })
}
$loopVariants = [ordered]@{
    'New-AgnoLoop, 100 iterations of one step' = @{
        Setup = { param($c) New-AgnoSession }
        Run   = { param($c, $session) Invoke-AgnoWorkflow -Workflow $c.Loop -Session $session }
        Check = { param($c, $session) $session.History[-1].Status -eq 'Completed' -and (Get-AgnoState -Session $session -Key n) -eq 1 }
    }
    'Invoke-AgnoWorkflow, 100 steps'           = @{
        Setup = { param($c) New-AgnoSession }
        Run   = { param($c, $session) Invoke-AgnoWorkflow -Workflow $c.Steps -Session $session }
        Check = { param($c, $session) $session.History[-1].Status -eq 'Completed' -and (Get-AgnoState -Session $session -Key n) -eq 1 }
    }
}
$loopSamples = Measure-Variants $loopContext $loopVariants (Get-Repeat 7)
foreach ($name in $loopSamples.Keys) { Add-Result 'Loop' '100 iterations or steps' $name 'ms' $loopSamples[$name] }

# --- Stored sessions: a one-step workflow, Set and Get, stored against in memory ----------------------

# The store lives beside the results, on disk (a commit's cost is its fsync).
$storeDir = Join-Path ([IO.Path]::GetFullPath((Split-Path -Parent $OutFile))) 'module-store'
if (Test-Path $storeDir) { Remove-Item $storeDir -Recurse -Force }
$null = New-Item -ItemType Directory -Path $storeDir -Force
$storedSession = New-AgnoSession -SessionId bench -Store (Join-Path $storeDir 'agno.db') -State @{ k = 0 }
$memorySession = New-AgnoSession -State @{ k = 0 }

# Two commits of the rows a stored step writes, with the module's own Microsoft.Data.Sqlite and the
# store's settings (WAL, synchronous FULL): the disk time the target allows a stored step.
$bare = [Microsoft.Data.Sqlite.SqliteConnection]::new("Data Source=$(Join-Path $storeDir 'bare.db');Pooling=False")
$bare.Open()
foreach ($sql in 'PRAGMA journal_mode = WAL', 'PRAGMA synchronous = FULL', 'CREATE TABLE state (k TEXT PRIMARY KEY, v TEXT, version INTEGER)') {
    $command = $bare.CreateCommand(); $command.CommandText = $sql; $null = $command.ExecuteNonQuery(); $command.Dispose()
}
$bareCommands = foreach ($sql in 'BEGIN IMMEDIATE', "INSERT INTO state VALUES ('k', 'v', 1) ON CONFLICT (k) DO UPDATE SET version = version + 1", 'COMMIT') {
    $command = $bare.CreateCommand(); $command.CommandText = $sql; $command
}
$oneStep = New-AgnoWorkflow -Name 'one' -Step (New-AgnoStep -Name 'set' -ScriptBlock { Set-AgnoState -Key k -Value 1 })
$storedRounds = Get-Repeat 300
$storedContext = @{ Stored = $storedSession; Memory = $memorySession; Workflow = $oneStep; Bare = $bareCommands }
$storedCases = [ordered]@{
    'one-step workflow' = [ordered]@{
        'session in memory'              = @{ Setup = { param($c) $c.Memory }; Run = { param($c, $s) Invoke-AgnoWorkflow -Workflow $c.Workflow -Session $s }; Check = { param($c, $s) $s.History.Count -gt 0 } }
        'stored session'                 = @{ Setup = { param($c) $c.Stored }; Run = { param($c, $s) Invoke-AgnoWorkflow -Workflow $c.Workflow -Session $s }; Check = { param($c, $s) $s.History.Count -gt 0 } }
        'two bare SQLite commits (disk)' = @{ Setup = { param($c) $c.Bare }; Run = { param($c, $b) foreach ($i in 1, 2) { foreach ($command in $b) { $null = $command.ExecuteNonQuery() } } }; Check = { param($c, $b) $true } }
    }
    'Set-AgnoState, one key' = [ordered]@{
        'session in memory' = @{ Setup = { param($c) $c.Memory }; Run = { param($c, $s) Set-AgnoState -Session $s -Key k -Value 2 }; Check = { param($c, $s) $s.State.Get('k') -eq 2 } }
        'stored session'    = @{ Setup = { param($c) $c.Stored }; Run = { param($c, $s) Set-AgnoState -Session $s -Key k -Value 2 }; Check = { param($c, $s) $s.State.Get('k') -eq 2 } }
    }
    'Get-AgnoState, one key, nothing changed' = [ordered]@{
        'session in memory'              = @{ Setup = { param($c) $c.Memory }; Run = { param($c, $s) $null = Get-AgnoState -Session $s -Key k }; Check = { param($c, $s) $true } }
        'stored session (version check)' = @{ Setup = { param($c) $c.Stored }; Run = { param($c, $s) $null = Get-AgnoState -Session $s -Key k }; Check = { param($c, $s) $true } }
    }
}
foreach ($case in $storedCases.Keys) {
    $samples = Measure-Variants $storedContext $storedCases[$case] $storedRounds
    foreach ($name in $samples.Keys) { Add-Result 'Stored' $case $name 'ms' $samples[$name] }
}
foreach ($command in $bareCommands) { $command.Dispose() }
$bare.Dispose()

# --- Import-Module, in fresh processes ---------------------------------------------------------------

# Under 'dotnet pwsh' the process is dotnet, which runs pwsh.dll.
$exe = (Get-Process -Id $PID).Path
$exeArgs = @(if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' })

function Invoke-Fresh([string] $Code) {
    $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($Code))
    $output = & $exe @exeArgs -NoProfile -NonInteractive -EncodedCommand $encoded
    if ($LASTEXITCODE -ne 0) { throw "A child pwsh failed (exit $LASTEXITCODE): $output" }
    ($output | Select-Object -Last 1) | ConvertFrom-Json
}

$importCode = @'
$ErrorActionPreference = 'Stop'
$watch = [Diagnostics.Stopwatch]::StartNew()
Import-Module '{0}'
$import = $watch.Elapsed.TotalMilliseconds
$watch.Restart()
$session = New-AgnoSession
Set-AgnoState -Session $session -Key a -Value 1
$null = Get-AgnoState -Session $session -Key a
$firstUse = $watch.Elapsed.TotalMilliseconds
@{{ Import = $import; FirstUse = $firstUse }} | ConvertTo-Json -Compress
'@ -f $manifest.Replace("'", "''")
$threadJobCode = @'
$watch = [Diagnostics.Stopwatch]::StartNew()
Import-Module Microsoft.PowerShell.ThreadJob -ErrorAction Stop
@{ Import = $watch.Elapsed.TotalMilliseconds } | ConvertTo-Json -Compress
'@
$imports = [System.Collections.Generic.List[double]]::new()
$firstUses = [System.Collections.Generic.List[double]]::new()
$threadJobImports = [System.Collections.Generic.List[double]]::new()
for ($i = 0; $i -lt (Get-Repeat 7); $i++) {
    $r = Invoke-Fresh $importCode
    $imports.Add($r.Import); $firstUses.Add($r.FirstUse)
    $threadJobImports.Add((Invoke-Fresh $threadJobCode).Import)
}
Add-Result 'Import' 'fresh process' 'Import-Module Agno' 'ms' $imports
Add-Result 'Import' 'fresh process' 'first New/Set/Get-AgnoState after import' 'ms' $firstUses
Add-Result 'Import' 'fresh process' 'Import-Module Microsoft.PowerShell.ThreadJob' 'ms' $threadJobImports

# --- Many trivial items piped in, in fresh processes: wall time and peak working set (issue 11) -------

$manyItems = if ($Quick) { 100 } else { 100000 }
$manyCode = @'
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module '{0}'
$null = New-AgnoSession
$watch = [Diagnostics.Stopwatch]::StartNew()
$count = ({1} | Measure-Object).Count
$elapsed = $watch.Elapsed.TotalMilliseconds
if ($count -ne {2}) {{ throw "$count outputs, not {2}" }}
@{{ Wall = $elapsed; Peak = [Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64 / 1MB }} | ConvertTo-Json -Compress
'@
$manyVariants = [ordered]@{
    'Invoke-AgnoParallel (items piped in)' = "& {{ for (`$i = 1; `$i -le {0}; `$i++) {{ `$i }} }} | Invoke-AgnoParallel {{ `$_ }}"
    'ForEach-Object -Parallel'             = "& {{ for (`$i = 1; `$i -le {0}; `$i++) {{ `$i }} }} | ForEach-Object -Parallel {{ `$_ }}"
}
foreach ($name in $manyVariants.Keys) {
    $pipeline = $manyVariants[$name] -f $manyItems
    $r = Invoke-Fresh ($manyCode -f $manifest.Replace("'", "''"), $pipeline, $manyItems)
    Add-Result 'ManyItems' "$manyItems trivial items, wall time" $name 'ms' @($r.Wall)
    Add-Result 'ManyItems' "$manyItems trivial items, peak working set" $name 'MiB' @($r.Peak)
}

# --- Memory of forks, in fresh processes -------------------------------------------------------------

$memoryCode = @'
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module '{0}'
function Measure-Memory {{
    [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
    @{{ Managed = [GC]::GetTotalMemory($true); WorkingSet = [Diagnostics.Process]::GetCurrentProcess().WorkingSet64 }}
}}
$keys = {1}; $forks = {2}; $clones = {3}
$before = Measure-Memory
$table = [hashtable]::new($keys, [StringComparer]::OrdinalIgnoreCase)
for ($i = 0; $i -lt $keys; $i++) {{ $table["key$i"] = if ($i % 2) {{ "value-$i" }} else {{ $i }} }}
$session = New-AgnoSession -State $table
$table = $null
# The loops run once before they are measured, so that what PowerShell keeps of compiling them is not counted.
$branches = [System.Collections.Generic.List[object]]::new()
for ($pass = 0; $pass -lt 2; $pass++) {{
    $branches = [System.Collections.Generic.List[object]]::new()
    if ($pass) {{ $withState = Measure-Memory }}
    for ($b = 0; $b -lt $forks; $b++) {{ $branches.Add($session.State.Fork()) }}
    if ($pass) {{ $withForks = Measure-Memory }}
    for ($b = 0; $b -lt $forks; $b++) {{ $branches[$b].Set("branch$b", $b) }}
    if ($pass) {{ $withChanges = Measure-Memory }}
}}
$branches = $null
$released = Measure-Memory
# The seed's fork, for scale: a System.Text.Json round-trip of the whole state.
$all = [System.Collections.Generic.Dictionary[string, object]]::new($session.State.GetAll())
$type = $all.GetType()
$beforeClones = Measure-Memory
$copies = [System.Collections.Generic.List[object]]::new()
for ($c = 0; $c -lt $clones; $c++) {{ $copies.Add([System.Text.Json.JsonSerializer]::Deserialize([System.Text.Json.JsonSerializer]::SerializeToUtf8Bytes($all, $type), $type)) }}
$withClones = Measure-Memory
if ($session.State.Count -ne $keys -or $copies[0].Count -ne $keys) {{ throw 'The memory benchmark did not build what it measures.' }}
[ordered]@{{
    State          = $withState.Managed - $before.Managed
    Forks          = $withForks.Managed - $withState.Managed
    ForksChanged   = $withChanges.Managed - $withState.Managed
    Released       = $released.Managed - $withState.Managed
    JsonClone      = ($withClones.Managed - $beforeClones.Managed) / $clones
    StateWS        = $withState.WorkingSet - $before.WorkingSet
    ForksWS        = $withForks.WorkingSet - $withState.WorkingSet
    ForksChangedWS = $withChanges.WorkingSet - $withState.WorkingSet
}} | ConvertTo-Json -Compress
'@ -f $manifest.Replace("'", "''"), $stateKeys, $forkCount, $jsonClones
$memory = @{}
for ($i = 0; $i -lt (Get-Repeat 3); $i++) {
    $r = Invoke-Fresh $memoryCode
    foreach ($p in $r.PSObject.Properties) {
        if (-not $memory.Contains($p.Name)) { $memory[$p.Name] = [System.Collections.Generic.List[double]]::new() }
        $memory[$p.Name].Add([double] $p.Value)
    }
}
$memoryCase = "$forkCount forks of a $stateKeys-key state"
Add-Result 'Memory' $memoryCase 'state itself (managed)' 'bytes' $memory.State
Add-Result 'Memory' $memoryCase 'forks (managed)' 'bytes' $memory.Forks
Add-Result 'Memory' $memoryCase 'forks, one key set in each (managed)' 'bytes' $memory.ForksChanged
Add-Result 'Memory' $memoryCase 'state itself (working set)' 'bytes' $memory.StateWS
Add-Result 'Memory' $memoryCase 'forks (working set)' 'bytes' $memory.ForksWS
Add-Result 'Memory' $memoryCase 'forks, one key set in each (working set)' 'bytes' $memory.ForksChangedWS
Add-Result 'Memory' $memoryCase 'one JSON clone of the state (seed, managed)' 'bytes' $memory.JsonClone

# --- Results --------------------------------------------------------------------------------------------

$outDir = Split-Path -Parent $OutFile
if ($outDir -and -not (Test-Path $outDir)) { New-Item -ItemType Directory -Path $outDir | Out-Null }
[ordered]@{
    Quick          = [bool] $Quick
    Cores          = $cores
    ThrottleLimits = $throttles
    BranchCounts   = $branchCounts
    StateKeys      = $stateKeys
    ForkCount      = $forkCount
    Results        = $results
} | ConvertTo-Json -Depth 5 | Set-Content -Path $OutFile -Encoding utf8
Write-Host "Module benchmark results written to $OutFile"
