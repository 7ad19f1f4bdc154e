<#
.SYNOPSIS
    Runs every benchmark (engine and module) and writes docs/benchmarks.md.
.DESCRIPTION
    1. Builds bench/Agno.Benchmarks (Release) and runs it: BenchmarkDotNet's reports go to <OutDir>/engine;
       then runs its interleaved store benchmark (--store): <OutDir>/engine/store.json.
    2. Runs bench/Module.Benchmarks.ps1 in a fresh pwsh against a copy of out/Agno (build.ps1 build
       lays it out) in <OutDir>/module: its results go to <OutDir>/module.json.
    3. Runs its PostgreSQL benchmark (--postgres) against a throwaway server from
       tests/Servers/Postgres.psm1, started for it and stopped after (or the server a test run already
       started, from $env:AGNO_TEST_SERVERS): <OutDir>/postgres/postgres.json. Where no PostgreSQL
       can run, its rows are reported as not measured.
    4. Writes the report: medians, min-max and ratios to each alternative, each of issues 5, 10, 11
       and 13's targets met or missed, the machine, and the command that reproduces it; and every
       result in <OutDir>/results.json.
    build.ps1 bench runs this after building the module. A full run takes about 15-20 minutes on 2 cores.

    -Quick runs every benchmark once at tiny sizes (about a minute), for the test suite: its numbers
    mean nothing, so it never overwrites docs/benchmarks.md; its report goes to <OutDir>/benchmarks.md.
    -Part Engine, -Part Module or -Part Postgres runs one part again and reports with the other parts'
    results already in <OutDir>. -ReportOnly runs nothing and writes the report again from the results in <OutDir>
    (after editing bench/analysis.md, the hand-written explanation of missed targets that the report includes).
.PARAMETER OutDir
    Where results go (default: out/bench, or out/bench-quick with -Quick).
.EXAMPLE
    dotnet tool restore && dotnet pwsh -NoProfile -File build.ps1 bench
.EXAMPLE
    dotnet pwsh -NoProfile -File bench/Invoke-Benchmarks.ps1 -Quick
#>
[CmdletBinding()]
param(
    [switch] $Quick,
    [string] $OutDir,
    [ValidateSet('All', 'Engine', 'Module', 'Postgres')]
    [string] $Part = 'All',
    [switch] $ReportOnly
)

$ErrorActionPreference = 'Stop'
$root = (Resolve-Path (Join-Path $PSScriptRoot '..')).Path
if (-not $OutDir) { $OutDir = Join-Path $root $(if ($Quick) { 'out/bench-quick' } else { 'out/bench' }) }
$OutDir = [IO.Path]::GetFullPath($OutDir)
$engineDir = Join-Path $OutDir 'engine'
$postgresDir = Join-Path $OutDir 'postgres'
$moduleJson = Join-Path $OutDir 'module.json'
$report = if ($Quick) { Join-Path $OutDir 'benchmarks.md' } else { Join-Path $root 'docs/benchmarks.md' }
$reproduce = 'dotnet tool restore && dotnet pwsh -NoProfile -File build.ps1 bench'

$runFile = Join-Path $OutDir 'run.json'
$modulePath = Join-Path $OutDir 'module/Agno'

# --- 1. The engine (BenchmarkDotNet) ------------------------------------------------------------------

$benchDll = Join-Path $root 'bench/Agno.Benchmarks/bin/Release/net10.0/Agno.Benchmarks.dll'

function Build-BenchProject {
    $project = Join-Path $root 'bench/Agno.Benchmarks/Agno.Benchmarks.csproj'
    # Once more on failure: a build of the repo running at the same time can hold src/Agno.Core/obj for a moment.
    foreach ($try in 1, 2) {
        & dotnet build $project -c Release --nologo --verbosity quiet | Out-Host
        if ($LASTEXITCODE -eq 0) { break }
        if ($try -eq 2) { throw "Building $project failed (exit $LASTEXITCODE)." }
        Start-Sleep -Seconds 10
    }
}

function Invoke-EngineBenchmarks {
    $engineLog = Join-Path $OutDir 'engine.log'
    $engineArgs = @($benchDll, '--out', $engineDir)
    if ($Quick) { $engineArgs += '--quick' }
    Write-Host "Running the engine benchmarks (BenchmarkDotNet; log: $engineLog)..."
    & dotnet @engineArgs *> $engineLog
    $engineExit = $LASTEXITCODE
    if ($engineExit -ne 0) {
        Get-Content $engineLog -Tail 40 | Out-Host
        throw "The engine benchmarks failed (exit $engineExit); see $engineLog."
    }
    Get-ChildItem (Join-Path $engineDir 'results') -Filter *-report-github.md | ForEach-Object { Get-Content $_.FullName | Out-Host }
    # The store: interleaved rounds rather than BenchmarkDotNet (see bench/Agno.Benchmarks/StoreBenchmark.cs).
    Write-Host 'Running the store benchmark...'
    & dotnet @($engineArgs[0]) --store --out $engineDir @(if ($Quick) { '--quick' }) *>> $engineLog
    if ($LASTEXITCODE -ne 0) {
        Get-Content $engineLog -Tail 40 | Out-Host
        throw "The store benchmark failed (exit $LASTEXITCODE); see $engineLog."
    }
}

# --- 2. The module ------------------------------------------------------------------------------------

function Invoke-ModuleBenchmarks {
    # A fresh pwsh, the one running this script. Under 'dotnet pwsh' the process is dotnet, which runs pwsh.dll.
    $exe = (Get-Process -Id $PID).Path
    $exeArgs = @(if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' })
    $moduleArgs = @('-NoProfile', '-NonInteractive', '-File', (Join-Path $root 'bench/Module.Benchmarks.ps1'), '-OutFile', $moduleJson, '-ModulePath', $modulePath)
    if ($Quick) { $moduleArgs += '-Quick' }
    Write-Host 'Running the module benchmarks...'
    & $exe @exeArgs @moduleArgs | Out-Host
    if ($LASTEXITCODE -ne 0 -or -not (Test-Path $moduleJson)) { throw "The module benchmarks failed (exit $LASTEXITCODE)." }
}

# --- 3. PostgreSQL (issue 13) ------------------------------------------------------------------------

function Invoke-PostgresBenchmark {
    $log = Join-Path $OutDir 'postgres.log'
    $servers = if ($env:AGNO_TEST_SERVERS) { $env:AGNO_TEST_SERVERS | ConvertFrom-Json }
    $server = $null
    if (-not ($servers -and $servers.Postgres)) {
        Import-Module (Join-Path $root 'tests/Servers/Postgres.psm1') -Force
        # $null, with a warning saying why, where PostgreSQL cannot run here.
        $server = Start-AgnoTestPostgres
        if (-not $server) {
            Write-Warning 'The PostgreSQL benchmark did not run: its rows are reported as not measured.'
            return
        }
    }
    $previous = $env:AGNO_TEST_SERVERS
    try {
        if ($server) {
            # The bench finds the server as the tests do (the password is the throwaway server's).
            $env:AGNO_TEST_SERVERS = @{ Postgres = $server | Select-Object SocketConnectionString, ConnectionString } | ConvertTo-Json -Compress
        }
        Write-Host "Running the PostgreSQL benchmark (log: $log)..."
        & dotnet $benchDll --postgres --out $postgresDir @(if ($Quick) { '--quick' }) *> $log
        if ($LASTEXITCODE -ne 0) {
            Get-Content $log -Tail 40 | Out-Host
            throw "The PostgreSQL benchmark failed (exit $LASTEXITCODE); see $log."
        }
        Get-Content $log | Out-Host
    }
    finally {
        $env:AGNO_TEST_SERVERS = $previous
        if ($server) { Stop-AgnoTestPostgres $server }
    }
}

# What each phase took, kept in run.json so that a report written later (-ReportOnly, -Part) states it.
$phases = [ordered]@{}
$started = Get-Date
if ($ReportOnly -or $Part -ne 'All') {
    if (-not (Test-Path $runFile)) { throw "$OutDir holds no results of an earlier run (no run.json): run all the benchmarks first." }
    $run = Get-Content $runFile -Raw | ConvertFrom-Json
    if ([bool] $run.Quick -ne [bool] $Quick) { throw "The results in $OutDir are from a run with Quick=$($run.Quick)." }
    $started = [datetime]::Parse($run.Started, [cultureinfo]::InvariantCulture, [Globalization.DateTimeStyles]::RoundtripKind)
    foreach ($p in $run.Phases.PSObject.Properties) { $phases[$p.Name] = [timespan]::FromSeconds($p.Value) }
}
if (-not $ReportOnly) {
    $runEngine = $Part -in 'All', 'Engine'
    $runModule = $Part -in 'All', 'Module'
    $runPostgres = $Part -in 'All', 'Postgres'
    $stale = @((Join-Path $OutDir 'results.json')) + @(if ($runEngine) { $engineDir }) + @(if ($runModule) { $moduleJson, $modulePath }) + @(if ($runPostgres) { $postgresDir })
    foreach ($path in $stale) { if (Test-Path $path) { Remove-Item $path -Recurse -Force } }
    New-Item -ItemType Directory -Force -Path $OutDir, $engineDir | Out-Null
    if ($runModule) {
        # The module is measured from a copy of out/Agno taken now, so that a build running meanwhile
        # (which lays out/Agno out anew) can't pull it away.
        $built = Join-Path $root 'out/Agno'
        if (-not (Test-Path (Join-Path $built 'Agno.psd1'))) { throw "The module is not built ($built): run build.ps1 build first." }
        New-Item -ItemType Directory -Force -Path (Split-Path $modulePath) | Out-Null
        Copy-Item $built $modulePath -Recurse
    }
    $watch = [Diagnostics.Stopwatch]::StartNew()
    if ($runEngine -or $runPostgres) { Build-BenchProject }
    if ($runEngine) {
        Invoke-EngineBenchmarks
        $phases['engine (BenchmarkDotNet, with its build)'] = $watch.Elapsed
    }
    if ($runModule) {
        $watch.Restart()
        Invoke-ModuleBenchmarks
        $phases['module (PowerShell)'] = $watch.Elapsed
    }
    if ($runPostgres) {
        $watch.Restart()
        Invoke-PostgresBenchmark
        $phases['PostgreSQL (with its server)'] = $watch.Elapsed
    }
    $seconds = [ordered]@{}
    foreach ($key in $phases.Keys) { if ($key -ne 'total') { $seconds[$key] = $phases[$key].TotalSeconds } }
    @{ Started = $started.ToString('o'); Quick = [bool] $Quick; Phases = $seconds } | ConvertTo-Json -Depth 3 | Set-Content $runFile -Encoding utf8
}
$phases.Remove('total')
$total = [timespan]::Zero
foreach ($value in @($phases.Values)) { $total += $value }
$phases['total'] = $total

# --- 4. Results -----------------------------------------------------------------------------------------

# Every result as one record: Benchmark, Case, Variant, Unit, Median, Min, Max (and Allocated for the engine).
$results = [System.Collections.Generic.List[object]]::new()
$engineInfo = $null
foreach ($file in Get-ChildItem (Join-Path $engineDir 'results') -Filter '*-report-full.json' | Sort-Object Name) {
    $json = Get-Content $file.FullName -Raw | ConvertFrom-Json
    $engineInfo = $json.HostEnvironmentInfo
    foreach ($b in $json.Benchmarks) {
        $benchmark = switch ($b.Type) {
            'StateAccessBenchmarks' { ($b.Method -split '_')[0] }
            'ForkBenchmarks' { 'Fork' }
            'MergeBenchmarks' { 'Merge' }
            default { $b.Type }
        }
        $results.Add([pscustomobject][ordered]@{
                Benchmark = $benchmark
                # BenchmarkDotNet orders parameters by name; the report puts the state's size first.
                Case      = (@($b.Parameters -split '&' | Sort-Object { $_ -notlike 'StateKeys=*' }, { $_ }) -join ', ')
                Variant   = $b.Method
                Unit      = 'ns'
                Median    = [double] $b.Statistics.Median
                Min       = [double] $b.Statistics.Min
                Max       = [double] $b.Statistics.Max
                Allocated = [double] $b.Memory.BytesAllocatedPerOperation
            })
    }
}
foreach ($storeJson in (Join-Path $engineDir 'store.json'), (Join-Path $postgresDir 'postgres.json')) {
    if (-not (Test-Path $storeJson)) { continue }
    foreach ($r in (Get-Content $storeJson -Raw | ConvertFrom-Json).Results) {
        $results.Add([pscustomobject][ordered]@{
                Benchmark = $r.Benchmark; Case = $r.Case; Variant = $r.Variant; Unit = $r.Unit
                Median = [double] $r.Median; Min = [double] $r.Min; Max = [double] $r.Max; Allocated = $null
            })
    }
}
$module = Get-Content $moduleJson -Raw | ConvertFrom-Json
foreach ($r in $module.Results) {
    $results.Add([pscustomobject][ordered]@{
            Benchmark = $r.Benchmark; Case = $r.Case; Variant = $r.Variant; Unit = $r.Unit
            Median = [double] $r.Median; Min = [double] $r.Min; Max = [double] $r.Max; Allocated = $null
        })
}
$results | ConvertTo-Json -Depth 3 | Set-Content (Join-Path $OutDir 'results.json') -Encoding utf8

function Find-Result([string] $Benchmark, [string] $Case, [string] $Variant) {
    $results | Where-Object { $_.Benchmark -eq $Benchmark -and $_.Case -eq $Case -and $_.Variant -eq $Variant } | Select-Object -First 1
}

function Format-Value([double] $Value, [string] $Unit) {
    $c = [cultureinfo]::InvariantCulture
    switch ($Unit) {
        'ns' {
            if ([Math]::Abs($Value) -ge 1e6) { return ($Value / 1e6).ToString('#,0.00', $c) + ' ms' }
            if ([Math]::Abs($Value) -ge 1e3) { return ($Value / 1e3).ToString('#,0.00', $c) + ' µs' }
            return $Value.ToString('#,0.0', $c) + ' ns'
        }
        'ms' {
            if ([Math]::Abs($Value) -ge 1000) { return ($Value / 1000).ToString('#,0.00', $c) + ' s' }
            return $Value.ToString('#,0.00', $c) + ' ms'
        }
        'bytes' {
            if ([Math]::Abs($Value) -ge 1MB) { return ($Value / 1MB).ToString('#,0.00', $c) + ' MiB' }
            if ([Math]::Abs($Value) -ge 1KB) { return ($Value / 1KB).ToString('#,0.0', $c) + ' KiB' }
            return $Value.ToString('#,0', $c) + ' B'
        }
        'commits/s' { return $Value.ToString('#,0', $c) + ' commits/s' }
        default { return $Value.ToString('#,0.###', $c) + " $Unit" }
    }
}

function Format-Ratio([double] $Ratio) {
    $c = [cultureinfo]::InvariantCulture
    if ([double]::IsNaN($Ratio) -or [double]::IsInfinity($Ratio)) { return 'n/a' }
    if ($Ratio -ge 100) { return $Ratio.ToString('#,0', $c) + 'x' }
    if ($Ratio -ge 0.1) { return $Ratio.ToString('0.00', $c) + 'x' }
    return $Ratio.ToString('0.####', $c) + 'x'
}

# One table per case: each variant's median, min-max (and allocation), and its median over every other variant's.
function Format-Cases([string] $Benchmark, [string[]] $Variants) {
    $rows = @($results | Where-Object Benchmark -EQ $Benchmark)
    $cases = @($rows | ForEach-Object Case | Select-Object -Unique)
    if (-not $Variants) { $Variants = @($rows | ForEach-Object Variant | Select-Object -Unique) }
    $hasAllocated = @($rows | Where-Object { $null -ne $_.Allocated }).Count -gt 0
    $lines = [System.Collections.Generic.List[string]]::new()
    foreach ($case in $cases) {
        $inCase = @(foreach ($v in $Variants) { $rows | Where-Object { $_.Case -eq $case -and $_.Variant -eq $v } | Select-Object -First 1 })
        if ($inCase.Count -eq 0) { continue }
        $header = '| ' + $case + ' | median | min - max |' + $(if ($hasAllocated) { ' allocated |' } else { '' })
        $rule = '| --- | ---: | ---: |' + $(if ($hasAllocated) { ' ---: |' } else { '' })
        if ($inCase.Count -gt 1) {
            foreach ($other in $inCase) { $header += " ÷ ``$($other.Variant)`` |"; $rule += ' ---: |' }
        }
        $lines.Add($header); $lines.Add($rule)
        foreach ($r in $inCase) {
            $line = "| ``$($r.Variant)`` | $(Format-Value $r.Median $r.Unit) | $(Format-Value $r.Min $r.Unit) - $(Format-Value $r.Max $r.Unit) |"
            if ($hasAllocated) { $line += ' ' + $(if ($null -ne $r.Allocated) { Format-Value $r.Allocated 'bytes' } else { '' }) + ' |' }
            if ($inCase.Count -gt 1) {
                foreach ($other in $inCase) {
                    $line += ' ' + $(if ($other -eq $r) { '1' } else { Format-Ratio ($r.Median / $other.Median) }) + ' |'
                }
            }
            $lines.Add($line)
        }
        $lines.Add('')
    }
    $lines
}

# --- Targets (issues 5 and 11), each from ratios measured in this run -----------------------------------------

# A row of a targets table: $Met is $null when the run did not measure it.
function New-TargetRow([string] $Target, [string] $Measured, $Met) {
    $status = if ($null -eq $Met) { 'not measured' } elseif ($Met) { 'met' } else { '**missed**' }
    [pscustomobject]@{ Target = $Target; Measured = $Measured; Status = $status }
}
$targets = [System.Collections.Generic.List[object]]::new()
function Add-Target([string] $Target, [string] $Measured, $Met) { $targets.Add((New-TargetRow $Target $Measured $Met)) }

$fork10 = Find-Result 'Fork' 'Keys=10' 'Fork_SessionState'
$fork100k = Find-Result 'Fork' 'Keys=100000' 'Fork_SessionState'
if ($fork10 -and $fork100k) {
    $ratio = $fork100k.Median / $fork10.Median
    Add-Target 'Fork of 100,000 keys within 2x of 10 keys' "$(Format-Value $fork100k.Median 'ns') vs $(Format-Value $fork10.Median 'ns'): $(Format-Ratio $ratio) (allocated $(Format-Value $fork100k.Allocated 'bytes') vs $(Format-Value $fork10.Allocated 'bytes'))" ($ratio -le 2)
}
else { Add-Target 'Fork of 100,000 keys within 2x of 10 keys' 'not run at these sizes (-Quick)' $null }
$fork10k = Find-Result 'Fork' 'Keys=10000' 'Fork_SessionState'
$json10k = Find-Result 'Fork' 'Keys=10000' 'Fork_SeedJsonClone'
if ($fork10k -and $json10k) {
    $ratio = $json10k.Median / $fork10k.Median
    Add-Target 'Fork at least 100x faster than the JSON clone at 10,000 keys' "$(Format-Value $fork10k.Median 'ns') vs $(Format-Value $json10k.Median 'ns'): $(Format-Ratio $ratio) faster" ($ratio -ge 100)
}
else { Add-Target 'Fork at least 100x faster than the JSON clone at 10,000 keys' 'not run at these sizes (-Quick)' $null }

# Merge: the same change at 100x the state size may cost log(n) more (an immutable map), not 100x: within 2x.
$mergeParts = @(); $mergeMet = $true; $mergeSeen = $false
foreach ($changed in 1, 100) {
    $small = Find-Result 'Merge' "StateKeys=1000, ChangedKeys=$changed" 'Merge_SessionState'
    $large = Find-Result 'Merge' "StateKeys=100000, ChangedKeys=$changed" 'Merge_SessionState'
    if ($small -and $large) {
        $mergeSeen = $true
        $ratio = $large.Median / $small.Median
        $mergeMet = $mergeMet -and $ratio -le 2
        $mergeParts += "$changed changed: $(Format-Value $large.Median 'ns') at 100,000 keys vs $(Format-Value $small.Median 'ns') at 1,000 ($(Format-Ratio $ratio))"
    }
}
$m1 = Find-Result 'Merge' 'StateKeys=100000, ChangedKeys=1' 'Merge_SessionState'
$m100 = Find-Result 'Merge' 'StateKeys=100000, ChangedKeys=100' 'Merge_SessionState'
if ($m1 -and $m100) { $mergeParts += "at 100,000 keys, 100 changed vs 1 changed: $(Format-Ratio ($m100.Median / $m1.Median))" }
Add-Target 'Merge cost grows with the keys changed, not the state size (100x the keys: within 2x)' $(if ($mergeSeen) { $mergeParts -join '; ' } else { 'not run at these sizes (-Quick)' }) $(if ($mergeSeen) { $mergeMet } else { $null })

$parallelCases = @($results | Where-Object Benchmark -EQ 'Parallel' | ForEach-Object Case | Select-Object -Unique)
$halfParts = @(); $halfMet = $true; $halfSeen = $false
$jobParts = @(); $jobMet = $true
foreach ($case in $parallelCases) {
    $agno = Find-Result 'Parallel' $case 'Invoke-AgnoParallel'
    $foreach = Find-Result 'Parallel' $case 'ForEach-Object -Parallel + sync hashtable'
    $job = Find-Result 'Parallel' $case 'Start-ThreadJob + sync hashtable'
    if ($case -like 'N=100,*' -and $agno -and $foreach) {
        $halfSeen = $true
        $ratio = $agno.Median / $foreach.Median
        $halfMet = $halfMet -and $ratio -le 0.5
        $halfParts += "$($case -replace '^N=100, ', ''): $(Format-Value $agno.Median 'ms') vs $(Format-Value $foreach.Median 'ms') ($(Format-Ratio $ratio))"
    }
    if ($agno -and $job) {
        $ratio = $agno.Median / $job.Median
        $jobMet = $jobMet -and $ratio -lt 1
        $jobParts += "$case`: $(Format-Ratio $ratio)"
    }
}
Add-Target 'Invoke-AgnoParallel, 100 trivial branches: at most 0.5x the wall time of ForEach-Object -Parallel at the same throttle limit' $(if ($halfSeen) { $halfParts -join '; ' } else { 'not run at N=100 (-Quick)' }) $(if ($halfSeen) { $halfMet } else { $null })
Add-Target 'Invoke-AgnoParallel ahead of Start-ThreadJob at every N (time ratio below 1)' ($jobParts -join '; ') $(if ($jobParts) { $jobMet } else { $null })

# Issue 11: the pipeline form against ForEach-Object -Parallel, at 1,000 items and at 100,000.
$pipelineParts = @(); $pipelineMet = $true
foreach ($case in @($results | Where-Object Benchmark -EQ 'Pipeline' | ForEach-Object Case | Select-Object -Unique)) {
    $agno = Find-Result 'Pipeline' $case 'Invoke-AgnoParallel (items piped in)'
    $foreach = Find-Result 'Pipeline' $case 'ForEach-Object -Parallel + sync hashtable'
    if ($case -like 'N=1000,*' -and $agno -and $foreach) {
        $ratio = $agno.Median / $foreach.Median
        $pipelineMet = $pipelineMet -and $ratio -le 0.1
        $pipelineParts += "$($case -replace '^N=1000, ', ''): $(Format-Value $agno.Median 'ms') vs $(Format-Value $foreach.Median 'ms') ($(Format-Ratio $ratio))"
    }
}
Add-Target 'Issue 11: 1..1000 piped into Invoke-AgnoParallel at most 0.1x the wall time of 1..1000 piped into ForEach-Object -Parallel (same throttle)' $(if ($pipelineParts) { $pipelineParts -join '; ' } else { 'not run at N=1000 (-Quick)' }) $(if ($pipelineParts) { $pipelineMet } else { $null })
$manyCase = @($results | Where-Object Benchmark -EQ 'ManyItems' | ForEach-Object Case | Where-Object { $_ -like '100000 *' } | Select-Object -Unique)
if ($manyCase) {
    $parts = foreach ($variant in 'Invoke-AgnoParallel (items piped in)', 'ForEach-Object -Parallel') {
        $wall = Find-Result 'ManyItems' '100000 trivial items, wall time' $variant
        $peak = Find-Result 'ManyItems' '100000 trivial items, peak working set' $variant
        "$variant`: $(Format-Value $wall.Median 'ms'), peak $(Format-Value $peak.Median 'MiB')"
    }
    Add-Target 'Issue 11: 100,000 trivial items, wall time and peak working set of both (reported, no target)' ($parts -join '; ') $true
}
else { Add-Target 'Issue 11: 100,000 trivial items, wall time and peak working set of both (reported, no target)' 'not run at this size (-Quick)' $null }

$loopRun = Find-Result 'Loop' '100 iterations or steps' 'New-AgnoLoop, 100 iterations of one step'
$stepsRun = Find-Result 'Loop' '100 iterations or steps' 'Invoke-AgnoWorkflow, 100 steps'
if ($loopRun -and $stepsRun) {
    Add-Target 'Issue 11: a loop of 100 iterations of one trivial step costs per iteration at most a workflow step' "$(Format-Value ($loopRun.Median / 100) 'ms') per iteration vs $(Format-Value ($stepsRun.Median / 100) 'ms') per step of a 100-step workflow ($(Format-Ratio ($loopRun.Median / $stepsRun.Median)))" ($loopRun.Median -le $stepsRun.Median)
}
else { Add-Target 'Issue 11: a loop of 100 iterations of one trivial step costs per iteration at most a workflow step' 'not measured (the module part did not run)' $null }

$stepOverhead = Find-Result 'Workflow' 'overhead per step' 'Invoke-AgnoWorkflow (Runspace)'
$inlineOverhead = Find-Result 'Workflow' 'overhead per step' 'Invoke-AgnoWorkflow (Inline)'
if ($stepOverhead) {
    Add-Target 'A warm step costs at most 1 ms of overhead over its scriptblock run directly' "$(Format-Value $stepOverhead.Median 'ms') per step in runspaces (the default; min $(Format-Value $stepOverhead.Min 'ms')); $(Format-Value $inlineOverhead.Median 'ms') per step with -Isolation Inline" ($stepOverhead.Median -le 1)
}
$import = Find-Result 'Import' 'fresh process' 'Import-Module Agno'
if ($import) {
    Add-Target 'Import-Module under 300 ms' "$(Format-Value $import.Median 'ms') (min $(Format-Value $import.Min 'ms'), max $(Format-Value $import.Max 'ms'))" ($import.Median -lt 300)
}
$accessParts = @(); $accessMet = $true; $accessSeen = $false
foreach ($op in 'Set', 'Get') {
    $ours = Find-Result $op 'Threads=1' "$($op)_SessionState"
    $concurrent = Find-Result $op 'Threads=1' "$($op)_ConcurrentDictionary"
    if ($ours -and $concurrent) {
        $accessSeen = $true
        $ratio = $ours.Median / $concurrent.Median
        $accessMet = $accessMet -and $ratio -le 2
        $accessParts += "$op $(Format-Value $ours.Median 'ns') vs $(Format-Value $concurrent.Median 'ns') ($(Format-Ratio $ratio))"
    }
}
Add-Target 'Uncontended Get and Set within 2x of ConcurrentDictionary' ($accessParts -join '; ') $(if ($accessSeen) { $accessMet } else { $null })
$memoryCase = $results | Where-Object Benchmark -EQ 'Memory' | ForEach-Object Case | Select-Object -First 1
$stateSize = Find-Result 'Memory' $memoryCase 'state itself (managed)'
$forkSize = Find-Result 'Memory' $memoryCase 'forks (managed)'
$changedSize = Find-Result 'Memory' $memoryCase 'forks, one key set in each (managed)'
if ($stateSize -and $forkSize) {
    $ratio = $forkSize.Median / $stateSize.Median
    $changedRatio = $changedSize.Median / $stateSize.Median
    Add-Target "$($module.ForkCount) branches forked from a $($module.StateKeys)-key state use less than 10% more memory than the state" ("forks: $(Format-Value $forkSize.Median 'bytes') over a $(Format-Value $stateSize.Median 'bytes') state ({0:P2}); with one key set in each: $(Format-Value $changedSize.Median 'bytes') ({1:P2})" -f $ratio, $changedRatio) ($ratio -lt 0.1)
}

# --- Targets of issue 10 (stored sessions) -------------------------------------------------------------

$storeTargets = [System.Collections.Generic.List[object]]::new()
function Add-StoreTarget([string] $Target, [string] $Measured, $Met) { $storeTargets.Add((New-TargetRow $Target $Measured $Met)) }
$storedStep = Find-Result 'Stored' 'one-step workflow' 'stored session'
$memoryStep = Find-Result 'Stored' 'one-step workflow' 'session in memory'
$twoCommits = Find-Result 'Stored' 'one-step workflow' 'two bare SQLite commits (disk)'
if ($storedStep -and $memoryStep -and $twoCommits) {
    $allowed = $memoryStep.Median + $twoCommits.Median
    Add-StoreTarget 'A one-step workflow on a stored session costs at most the in-memory step plus two commits of disk time' "$(Format-Value $storedStep.Median 'ms') stored vs $(Format-Value $memoryStep.Median 'ms') in memory + $(Format-Value $twoCommits.Median 'ms') for two bare commits = $(Format-Value $allowed 'ms') allowed ($(Format-Ratio ($storedStep.Median / $allowed)) of it)" ($storedStep.Median -le $allowed)
}
$agnoCommit = Find-Result 'Store' 'commit of one key (Set)' 'Agno SqliteSessionStore'
$bareCommit = Find-Result 'Store' 'commit of one key (Set)' 'bare Microsoft.Data.Sqlite transaction'
if ($agnoCommit -and $bareCommit) {
    $ratio = $agnoCommit.Median / $bareCommit.Median
    Add-StoreTarget 'The store''s commit within 1.5x of a bare Microsoft.Data.Sqlite transaction writing the same rows' "$(Format-Value $agnoCommit.Median 'ms') vs $(Format-Value $bareCommit.Median 'ms') ($(Format-Ratio $ratio))" ($ratio -le 1.5)
}
$checkedRead = Find-Result 'Store' 'read of one key (Get), nothing changed' 'stored session (version check)'
$memoryRead = Find-Result 'Store' 'read of one key (Get), nothing changed' 'session in memory'
$checkedGet = Find-Result 'Stored' 'Get-AgnoState, one key, nothing changed' 'stored session (version check)'
$memoryGet = Find-Result 'Stored' 'Get-AgnoState, one key, nothing changed' 'session in memory'
if ($checkedRead -and $memoryRead) {
    $measured = "engine: $(Format-Value $checkedRead.Median 'ns') vs $(Format-Value $memoryRead.Median 'ns') in memory, so the check costs $(Format-Value ($checkedRead.Median - $memoryRead.Median) 'ns')"
    if ($checkedGet -and $memoryGet) { $measured += "; Get-AgnoState: $(Format-Value $checkedGet.Median 'ms') vs $(Format-Value $memoryGet.Median 'ms')" }
    Add-StoreTarget 'A read of a stored session that nothing changed costs one version check (no reload), under 0.1 ms' $measured (($checkedRead.Median - $memoryRead.Median) -lt 100000)
}

# --- Targets of issue 13 (PostgreSQL store) -----------------------------------------------------------

$postgresTargets = [System.Collections.Generic.List[object]]::new()
$postgresParts = @(); $postgresMet = $true
foreach ($case in @($results | Where-Object { $_.Benchmark -eq 'Postgres' -and $_.Case -like 'commit of *' } | ForEach-Object Case | Select-Object -Unique)) {
    foreach ($via in 'socket', 'TCP') {
        $ours = Find-Result 'Postgres' $case "Agno PostgreSQL store ($via)"
        $bare = Find-Result 'Postgres' $case "bare Npgsql transaction ($via)"
        if (-not ($ours -and $bare)) { continue }
        $ratio = $ours.Median / $bare.Median
        $postgresMet = $postgresMet -and $ratio -le 1.5
        $postgresParts += "$($case -replace '^commit of ', ''), $via`: $(Format-Value $ours.Median 'ms') vs $(Format-Value $bare.Median 'ms') ($(Format-Ratio $ratio))"
    }
}
$postgresTargets.Add((New-TargetRow 'The PostgreSQL store''s commit within 1.5x of a bare Npgsql transaction writing the same rows' `
            $(if ($postgresParts) { $postgresParts -join '; ' } else { 'not measured: no PostgreSQL server could run here (see the run''s warning)' }) $(if ($postgresParts) { $postgresMet } else { $null })))
$postgresRun = if (Test-Path (Join-Path $postgresDir 'postgres.json')) { Get-Content (Join-Path $postgresDir 'postgres.json') -Raw | ConvertFrom-Json }

# --- The machine --------------------------------------------------------------------------------------

$memoryBytes = [GC]::GetGCMemoryInfo().TotalAvailableMemoryBytes
if (Test-Path /proc/meminfo) {
    $line = Select-String -Path /proc/meminfo -Pattern '^MemTotal:\s+(\d+) kB' | Select-Object -First 1
    if ($line) { $memoryBytes = [long] $line.Matches[0].Groups[1].Value * 1KB }
}
$machine = [ordered]@{
    'CPU'                  = if ($engineInfo) { "$($engineInfo.ProcessorName), $($engineInfo.PhysicalCoreCount) physical / $($engineInfo.LogicalCoreCount) logical cores" } else { '' }
    'Cores (.NET)'         = [Environment]::ProcessorCount
    'Memory'               = '{0:N1} GiB' -f ($memoryBytes / 1GB)
    'OS'                   = [Runtime.InteropServices.RuntimeInformation]::OSDescription
    'PowerShell'           = "$($PSVersionTable.PSVersion) ($([Runtime.InteropServices.RuntimeInformation]::FrameworkDescription))"
    '.NET (engine benchmarks)' = if ($engineInfo) { "$($engineInfo.RuntimeVersion), SDK $($engineInfo.DotNetCliVersion), $($engineInfo.Architecture)" } else { '' }
    'BenchmarkDotNet'      = if ($engineInfo) { $engineInfo.BenchmarkDotNetVersion } else { '' }
    'PostgreSQL (issue 13)' = if ($postgresRun) { "$($postgresRun.ServerVersion), a throwaway server on this machine (fsync and synchronous_commit on, as SQLite's synchronous FULL)" } else { 'not run' }
    'Date'                 = $started.ToUniversalTime().ToString('yyyy-MM-dd HH:mm \U\T\C')
}

# --- The report ---------------------------------------------------------------------------------------

$md = [System.Collections.Generic.List[string]]::new()
$md.Add('# Benchmarks')
$md.Add('')
if ($Quick) {
    $md.Add('> **Quick run** (`bench/Invoke-Benchmarks.ps1 -Quick`): every benchmark once, at tiny sizes, so that none rots. These numbers mean nothing; the real ones are in docs/benchmarks.md.')
    $md.Add('')
}
$md.Add("Agno against what PowerShell users use instead, measured in one run by ``bench/Invoke-Benchmarks.ps1``. Reproduce with:")
$md.Add('')
$md.Add('```')
$md.Add($reproduce)
$md.Add('```')
$md.Add('')
$md.Add('**Noise.** This machine has 2 cores shared with other developers'' builds and test runs, so single numbers are noisy: read the medians and the ratios between variants measured side by side, not the absolute times. The module''s variants of one case run interleaved, round by round, so that a busy neighbour hurts them alike; the engine''s run one after another, each in its own process (BenchmarkDotNet). Medians and min - max are over ' + $(if ($Quick) { 'one run (quick)' } else { "BenchmarkDotNet's 15 iterations (engine), 7 rounds (module; 3 at N = 1,000, where one round of Start-ThreadJob takes a minute or more), 15 rounds (workflow), 7 fresh processes (import) and 3 (memory)" }) + '.')
$md.Add('')
$md.Add('## Machine')
$md.Add('')
$md.Add('| | |')
$md.Add('| --- | --- |')
foreach ($key in $machine.Keys) { $md.Add("| $key | $($machine[$key]) |") }
$md.Add("| This run took | $(($phases.GetEnumerator() | ForEach-Object { '{0}: {1:mm\:ss}' -f $_.Key, $_.Value }) -join '; ') |")
$md.Add('')
$md.Add('## Targets (issues 5 and 11)')
$md.Add('')
$md.Add('| target | measured | result |')
$md.Add('| --- | --- | --- |')
foreach ($t in $targets) { $md.Add("| $($t.Target) | $($t.Measured) | $($t.Status) |") }
$md.Add('')
$md.Add('## Targets (issue 10: stored sessions)')
$md.Add('')
$md.Add('| target | measured | result |')
$md.Add('| --- | --- | --- |')
foreach ($t in $storeTargets) { $md.Add("| $($t.Target) | $($t.Measured) | $($t.Status) |") }
$md.Add('')
$md.Add('## Targets (issue 13: PostgreSQL store)')
$md.Add('')
$md.Add('| target | measured | result |')
$md.Add('| --- | --- | --- |')
foreach ($t in $postgresTargets) { $md.Add("| $($t.Target) | $($t.Measured) | $($t.Status) |") }
$md.Add('')
$analysis = Join-Path $PSScriptRoot 'analysis.md'
if (-not $Quick -and (Test-Path $analysis)) {
    # Why the missed targets are missed: written by hand from profiling, kept beside this script.
    foreach ($line in Get-Content $analysis) { $md.Add($line) }
    $md.Add('')
}
$remote = Join-Path $PSScriptRoot 'remote.md'
if (-not $Quick -and (Test-Path $remote)) {
    # Remote and process steps need a test sshd: measured apart by bench/Remote.Benchmarks.ps1, which writes this section.
    foreach ($line in Get-Content $remote) { $md.Add($line) }
    $md.Add('')
}
$md.Add('## Engine (BenchmarkDotNet)')
$md.Add('')
$md.Add('Time per operation. `SessionState` is the engine; `RwLockDictionary` is the seed''s design (a `Dictionary` behind a `ReaderWriterLockSlim`, Go''s `sync.RWMutex`), `SeedJsonClone` the seed''s fork (a System.Text.Json round-trip of the whole state), `SeedFullCopy` the seed''s merge (the original''s entries, then each branch''s whole state). `ImmutableDictionary` is not an alternative but the floor of the engine''s design, for scale: a bare `ImmutableDictionary` swapped under a lock, without SessionState''s key checks, value copies and change records. A ratio cell is the row''s median over the column''s: below 1 the row is faster. Sources: `bench/Agno.Benchmarks`.')
$md.Add('')
$md.Add('### Set and Get, one thread and contended')
$md.Add('')
$md.Add('40,000 operations per invocation split among the threads (2 = the cores, 4 = twice), over 1,024 keys, each thread starting at its own key: wall time per operation, the inverse of throughput. Values are pre-boxed ints and strings, keys compared case-insensitively by all three.')
$md.Add('')
foreach ($op in 'Set', 'Get') {
    $md.Add("#### $op")
    $md.Add('')
    foreach ($l in Format-Cases $op @("$($op)_SessionState", "$($op)_RwLockDictionary", "$($op)_ConcurrentDictionary", "$($op)_ImmutableDictionary")) { $md.Add($l) }
}
$md.Add('### Fork')
$md.Add('')
$md.Add('A branch''s copy of a state of N keys (values: ints and short strings, the cheapest a JSON clone can meet).')
$md.Add('')
foreach ($l in Format-Cases 'Fork' @('Fork_SessionState', 'Fork_SeedJsonClone')) { $md.Add($l) }
$md.Add('### Merge')
$md.Add('')
$md.Add('3 branches, each having changed `ChangedKeys` distinct keys: `StateMerger.Merge` of their deltas, then `Apply` onto the state (what `ParallelNode` does), against the seed''s whole-state merge.')
$md.Add('')
foreach ($l in Format-Cases 'Merge' @('Merge_SessionState', 'Merge_SeedFullCopy')) { $md.Add($l) }
$md.Add('## Module (PowerShell)')
$md.Add('')
$md.Add("Wall time of a whole command, warm (each variant runs once before it is measured). Sources: ``bench/Module.Benchmarks.ps1``. Progress output is off for all (```$ProgressPreference = 'SilentlyContinue'``).")
$md.Add('')
$md.Add('### Parallel branches')
$md.Add('')
$md.Add("N branches, each summing 1..100 and setting one key: ``Invoke-AgnoParallel -ScriptBlock`` (one scriptblock per branch), ``ForEach-Object -Parallel`` writing a ``[hashtable]::Synchronized()`` through ```$using:``, ``Start-ThreadJob`` writing it as an argument (then ``Wait-Job`` and ``Remove-Job``; ``Receive-Job -Wait`` hung on 1,000 queued thread jobs), at the same throttle limit: $($module.ThrottleLimits -join ' and ') ($($module.Cores) cores).")
$md.Add('')
foreach ($l in Format-Cases 'Parallel' @('Invoke-AgnoParallel', 'ForEach-Object -Parallel + sync hashtable', 'Start-ThreadJob + sync hashtable')) { $md.Add($l) }
$md.Add('### Items piped in (issue 11)')
$md.Add('')
$md.Add("N items piped into ``Invoke-AgnoParallel { ... `$_ ... }`` (one branch per item, each summing 1..100 and setting one key) against ``N | ForEach-Object -Parallel`` writing a synchronized hashtable, at the same throttle limits.")
$md.Add('')
foreach ($l in Format-Cases 'Pipeline') { $md.Add($l) }
$md.Add('### Many trivial items piped in (issue 11)')
$md.Add('')
$md.Add('Fresh processes, one sample each: items from a generator piped into ``Invoke-AgnoParallel { $_ }`` and into ``ForEach-Object -Parallel { $_ }`` (default throttle), counted with ``Measure-Object``: wall time of the pipeline, and the process''s peak working set (which includes pwsh itself).')
$md.Add('')
foreach ($l in Format-Cases 'ManyItems') { $md.Add($l) }
$md.Add('### Workflow steps')
$md.Add('')
$md.Add('A 10-step `Invoke-AgnoWorkflow` (each step sums 1..100 and sets one key through `$AgnoSession`) against the same 10 scriptblocks called in a row with `&`. The overhead per step is (workflow - direct) / 10, paired round by round.')
$md.Add('')
foreach ($l in Format-Cases 'Workflow') { $md.Add($l) }
$md.Add('### Loop iterations (issue 11)')
$md.Add('')
$md.Add('A `New-AgnoLoop` of 100 iterations of one trivial step (`Set-AgnoState -Key n -Value 1`) against a workflow of 100 such steps, warm, run by `Invoke-AgnoWorkflow` in runspaces.')
$md.Add('')
foreach ($l in Format-Cases 'Loop') { $md.Add($l) }
$md.Add('### Import-Module')
$md.Add('')
$md.Add('Measured inside fresh `pwsh -NoProfile` processes, one per sample; Microsoft.PowerShell.ThreadJob (a small binary module that ships with PowerShell) for scale.')
$md.Add('')
foreach ($l in Format-Cases 'Import') { $md.Add($l) }
$md.Add('### Memory of forks')
$md.Add('')
$md.Add("In fresh processes: ``GC.GetTotalMemory(`$true)`` (managed) and the process working set, before and after. The state is made by ``New-AgnoSession -State`` from a hashtable of $($module.StateKeys) keys (ints and short strings), the hashtable then dropped; the forks are ``SessionState.Fork()``, what each parallel branch gets; then each sets one key. The working set moves by whole pages and with the GC's own decisions, so only the managed numbers measure the forks. One JSON clone (the seed's fork) for scale: the seed's $($module.ForkCount) branches would hold $($module.ForkCount) of them.")
$md.Add('')
foreach ($l in Format-Cases 'Memory') { $md.Add($l) }
$md.Add('## Stored sessions (SQLite)')
$md.Add('')
$md.Add('A session in a SQLite store file (WAL, synchronous FULL) on this machine''s disk, against one in memory. Each case''s variants run interleaved, one operation each per round, and are compared by their medians: a commit''s cost is mostly one fsync, which drifts on a shared disk.')
$md.Add('')
$md.Add("### Engine (``bench/Agno.Benchmarks --store``)")
$md.Add('')
$md.Add('The store''s commit of one key against a bare `Microsoft.Data.Sqlite` transaction writing the same rows (the value''s row and the session''s version, statements prepared once); a read of a stored session that nothing changed (a version check) against a read in memory; a one-step run of a C# step.')
$md.Add('')
foreach ($l in Format-Cases 'Store') { $md.Add($l) }
$md.Add('### Module')
$md.Add('')
$md.Add('A one-step `Invoke-AgnoWorkflow`, a `Set-AgnoState` and a `Get-AgnoState`, stored against in memory; two bare commits through the module''s own `Microsoft.Data.Sqlite` (from PowerShell) for the disk time the target allows.')
$md.Add('')
foreach ($l in Format-Cases 'Stored') { $md.Add($l) }
$md.Add('## Stored sessions (PostgreSQL, issue 13)')
$md.Add('')
$md.Add("``bench/Agno.Benchmarks --postgres``: the PostgreSQL store over the server's unix socket and over TCP (127.0.0.1), beside the SQLite store (as above, on the same disk), and a bare Npgsql transaction writing the same rows into tables of the same shape and indexes (the keys' rows with their version, the session's version: BEGIN with both upserts in one round trip, then COMMIT; statements prepared). A 50-key step's commit writes 50 values of about 200 characters. The latency cases run interleaved, one operation each per round, compared by medians. Throughput: 4 writers, each with a store of its own (as 4 machines), each committing its own keys as fast as it can, to one session (its commits are serialized: each waits for the session's row lock, or SQLite's file lock, and merges what the others committed) or to a session each (PostgreSQL's writers need not wait for each other; SQLite's still take turns on the file); commits per second of all 4 together, median of 3 samples. In the throughput tables a ratio above 1 means more commits per second.")
$md.Add('')
foreach ($l in Format-Cases 'Postgres') { $md.Add($l) }

$reportDir = Split-Path -Parent $report
if (-not (Test-Path $reportDir)) { New-Item -ItemType Directory -Path $reportDir | Out-Null }
$md | Set-Content -Path $report -Encoding utf8
Write-Host ''
foreach ($t in @($targets) + @($storeTargets) + @($postgresTargets)) { Write-Host ('{0,-14} {1}' -f $t.Status, $t.Target) }
Write-Host "Report written to $report ($('{0:mm\:ss}' -f $phases['total']))."
