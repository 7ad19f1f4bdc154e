# Runs every benchmark once at tiny sizes (bench/Invoke-Benchmarks.ps1 -Quick), so that none
# rots: each must complete and report a result. No timing is asserted; the numbers of a quick run
# mean nothing. Takes about a minute on 2 cores (BenchmarkDotNet runs in-process, nothing is
# generated or rebuilt beyond bench/Agno.Benchmarks itself).

BeforeDiscovery {
    $engineNames = foreach ($op in 'Set', 'Get') {
        foreach ($variant in 'SessionState', 'RwLockDictionary', 'ConcurrentDictionary', 'ImmutableDictionary') {
            foreach ($threads in 1, 2, 4) { @{ Benchmark = $op; Variant = "$($op)_$variant"; Case = "Threads=$threads" } }
        }
    }
    $engineNames += foreach ($variant in 'Fork_SessionState', 'Fork_SeedJsonClone') { @{ Benchmark = 'Fork'; Variant = $variant; Case = 'Keys=10' } }
    $engineNames += foreach ($variant in 'Merge_SessionState', 'Merge_SeedFullCopy') {
        foreach ($changed in 1, 100) { @{ Benchmark = 'Merge'; Variant = $variant; Case = "StateKeys=1000, ChangedKeys=$changed" } }
    }
    $moduleNames = @(
        foreach ($variant in 'Invoke-AgnoParallel', 'ForEach-Object -Parallel + sync hashtable', 'Start-ThreadJob + sync hashtable') { @{ Benchmark = 'Parallel'; Variant = $variant } }
        foreach ($variant in 'Invoke-AgnoParallel (items piped in)', 'ForEach-Object -Parallel + sync hashtable') { @{ Benchmark = 'Pipeline'; Variant = $variant } }
        foreach ($variant in 'Invoke-AgnoParallel (items piped in)', 'ForEach-Object -Parallel') { @{ Benchmark = 'ManyItems'; Variant = $variant } }
        foreach ($variant in 'Invoke-AgnoWorkflow (Runspace)', 'Invoke-AgnoWorkflow (Inline)', 'scriptblocks called in a row') { @{ Benchmark = 'Workflow'; Variant = $variant } }
        foreach ($variant in 'New-AgnoLoop, 100 iterations of one step', 'Invoke-AgnoWorkflow, 100 steps') { @{ Benchmark = 'Loop'; Variant = $variant } }
        foreach ($variant in 'Import-Module Agno', 'first New/Set/Get-AgnoState after import', 'Import-Module Microsoft.PowerShell.ThreadJob') { @{ Benchmark = 'Import'; Variant = $variant } }
        foreach ($variant in 'state itself (managed)', 'forks (managed)', 'forks, one key set in each (managed)', 'one JSON clone of the state (seed, managed)') { @{ Benchmark = 'Memory'; Variant = $variant } }
        foreach ($variant in 'session in memory', 'stored session', 'two bare SQLite commits (disk)', 'stored session (version check)') { @{ Benchmark = 'Stored'; Variant = $variant } }
        foreach ($variant in 'Agno SqliteSessionStore', 'bare Microsoft.Data.Sqlite transaction', 'stored session (version check)', 'session in memory', 'stored session', 'two bare commits') { @{ Benchmark = 'Store'; Variant = $variant } }
    )
    $postgresNames = foreach ($variant in 'Agno PostgreSQL store (socket)', 'Agno PostgreSQL store (TCP)', 'Agno SQLite store', 'bare Npgsql transaction (socket)', 'bare Npgsql transaction (TCP)') {
        @{ Variant = $variant }
    }
    $targets = @(
        'Fork of 100,000 keys within 2x of 10 keys'
        'Fork at least 100x faster than the JSON clone'
        'Merge cost grows with the keys changed'
        'at most 0.5x the wall time of ForEach-Object -Parallel'
        'ahead of Start-ThreadJob at every N'
        'A warm step costs at most 1 ms'
        'Import-Module under 300 ms'
        'Uncontended Get and Set within 2x of ConcurrentDictionary'
        'use less than 10% more memory than the state'
        'A one-step workflow on a stored session costs at most the in-memory step plus two commits of disk time'
        'The store''s commit within 1.5x of a bare Microsoft.Data.Sqlite transaction writing the same rows'
        'A read of a stored session that nothing changed costs one version check'
        'The PostgreSQL store''s commit within 1.5x of a bare Npgsql transaction writing the same rows'
        'Issue 11: 1..1000 piped into Invoke-AgnoParallel at most 0.1x'
        'Issue 11: 100,000 trivial items, wall time and peak working set'
        'Issue 11: a loop of 100 iterations of one trivial step costs per iteration at most a workflow step'
    )
}

Describe 'Benchmarks (quick run)' {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'AgnoTestSupport.psm1') -Force
        $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
        $outDir = Join-Path $TestDrive 'bench'
        $doc = Join-Path $root 'docs/benchmarks.md'
        $docBefore = if (Test-Path $doc) { (Get-FileHash $doc).Hash }

        # A fresh pwsh, the one running the tests.
        $exe = (Get-PwshCommand).Path
        $exeArgs = (Get-PwshCommand).Prefix
        $output = & $exe @exeArgs -NoProfile -NonInteractive -File (Join-Path $root 'bench/Invoke-Benchmarks.ps1') -Quick -OutDir $outDir 2>&1
        $exitCode = $LASTEXITCODE
        $log = ($output | ForEach-Object { "$_" }) -join "`n"

        $resultsFile = Join-Path $outDir 'results.json'
        $results = if (Test-Path $resultsFile) { @(Get-Content $resultsFile -Raw | ConvertFrom-Json) } else { @() }
        $reportFile = Join-Path $outDir 'benchmarks.md'
        $report = if (Test-Path $reportFile) { Get-Content $reportFile -Raw } else { '' }
    }

    It 'completes and writes its results and report' {
        $exitCode | Should -Be 0 -Because $log
        $resultsFile | Should -Exist
        $reportFile | Should -Exist
    }

    It 'reports engine benchmark <Variant> (<Case>)' -ForEach $engineNames {
        $r = $results | Where-Object { $_.Benchmark -eq $Benchmark -and $_.Variant -eq $Variant -and $_.Case -eq $Case }
        $r | Should -Not -BeNullOrEmpty
        [double]::IsNaN([double] $r.Median) | Should -BeFalse
        $report | Should -Match ([regex]::Escape("``$Variant``"))
    }

    It 'reports module benchmark <Benchmark>: <Variant>' -ForEach $moduleNames {
        $r = @($results | Where-Object { $_.Benchmark -eq $Benchmark -and $_.Variant -eq $Variant })
        $r.Count | Should -BeGreaterThan 0
        $r | ForEach-Object { [double]::IsNaN([double] $_.Median) | Should -BeFalse }
        $report | Should -Match ([regex]::Escape("``$Variant``"))
    }

    It 'reports PostgreSQL benchmark <Variant> (the test run''s server, or one of its own)' -ForEach $postgresNames {
        Import-Module (Join-Path $root 'tests/Servers/Postgres.psm1') -Force
        if ($noServer = Get-AgnoTestPostgresSkipReason) { Set-ItResult -Skipped -Because $noServer; return }
        $r = @($results | Where-Object { $_.Benchmark -eq 'Postgres' -and $_.Variant -eq $Variant })
        $r.Count | Should -BeGreaterThan 0
        $r | ForEach-Object { [double]::IsNaN([double] $_.Median) | Should -BeFalse }
        $report | Should -Match ([regex]::Escape("``$Variant``"))
    }

    It 'states target "<_>" in the report' -ForEach $targets {
        $report | Should -Match ([regex]::Escape($_))
    }

    It 'states the machine and the command that reproduces it' {
        $report | Should -Match '\| Cores \(\.NET\) \| \d+ \|'
        $report | Should -Match '\| PowerShell \| 7\.'
        $report | Should -Match ([regex]::Escape('dotnet tool restore && dotnet pwsh -NoProfile -File build.ps1 bench'))
    }

    It 'leaves docs/benchmarks.md alone' {
        $docAfter = if (Test-Path $doc) { (Get-FileHash $doc).Hash }
        $docAfter | Should -Be $docBefore
    }
}
