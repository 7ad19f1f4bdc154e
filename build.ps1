<#
.SYNOPSIS
    Builds, tests, benchmarks and demonstrates Agno for PowerShell.
.DESCRIPTION
    build  compiles the engine and the cmdlets and lays the module out in out/Agno
           (Import-Module ./out/Agno loads it).
    test   builds, then runs the xunit tests (with Agno.Core line coverage) and the Pester
           tests, and ends with one line 'N passed, N failed' (then ', N skipped' if any were).
           Exits 1 on any failure. The PostgreSQL tests start a throwaway server from the
           machine's binaries (tests/Servers/Postgres.psm1), and are skipped, with a warning,
           where there are none; AGNO_REQUIRE_POSTGRES=1 makes that a failure.
    bench  builds, then runs the benchmarks and writes docs/benchmarks.md.
    demo   builds, then runs the main example (examples/user-orders-report.ps1).
    clean  removes build output.
.EXAMPLE
    dotnet tool restore && dotnet pwsh -NoProfile -File build.ps1 test
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('build', 'test', 'bench', 'demo', 'clean')]
    [string] $Task = 'test'
)

$ErrorActionPreference = 'Stop'
$root = $PSScriptRoot
$out = Join-Path $root 'out'
$moduleDir = Join-Path $out 'Agno'
$configuration = 'Release'

function Invoke-Dotnet {
    & dotnet @args
    if ($LASTEXITCODE -ne 0) { throw "dotnet $($args -join ' ') failed with exit code $LASTEXITCODE." }
}

# Runs PowerShell code in a fresh pwsh (the one running this script), so that the module loaded
# by tests never locks the files a later build writes. Under 'dotnet pwsh' the process is dotnet,
# which runs pwsh.dll. The child's output goes to the host; the exit code is returned.
function Invoke-ChildPwsh([string] $Command) {
    $exe = (Get-Process -Id $PID).Path
    [string[]] $prefix = if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' } else { @() }
    & $exe @prefix -NoProfile -NonInteractive -Command $Command | Out-Host
    $LASTEXITCODE
}

function Get-PesterPath {
    Invoke-Dotnet restore (Join-Path $root 'tools/Tools.csproj') --verbosity quiet
    $packages = Get-PackagesRoot
    [xml] $props = Get-Content (Join-Path $root 'Directory.Packages.props')
    $version = $props.Project.PropertyGroup.PesterVersion | Where-Object { $_ } | Select-Object -First 1
    $psd1 = Join-Path $packages "pester/$version/tools/Pester.psd1"
    if (-not (Test-Path $psd1)) { throw "Pester $version was not restored to $psd1." }
    $psd1
}

# The SQLite native library is laid out as NuGet does (runtimes/<rid>/native); the module's
# initializer points the runtime at it.
$nativeRids = 'linux-x64', 'linux-arm64', 'linux-musl-x64', 'linux-musl-arm64', 'osx-x64', 'osx-arm64', 'win-x64', 'win-x86', 'win-arm64'

function Get-PackagesRoot {
    if ($env:NUGET_PACKAGES) { return $env:NUGET_PACKAGES }
    ((& dotnet nuget locals global-packages --list) -replace '^global-packages:\s*', '').Trim()
}

function Get-PinnedVersion([string] $Package) {
    [xml] $props = Get-Content (Join-Path $root 'Directory.Packages.props')
    $props.Project.ItemGroup.PackageVersion | Where-Object Include -EQ $Package | Select-Object -ExpandProperty Version -First 1
}

function Invoke-Build {
    $publish = Join-Path $out 'publish'
    Invoke-Dotnet publish (Join-Path $root 'src/Agno.PowerShell/Agno.PowerShell.csproj') -c $configuration -o $publish --nologo --verbosity quiet
    if (Test-Path $moduleDir) { Remove-Item $moduleDir -Recurse -Force }
    New-Item -ItemType Directory -Path $moduleDir, (Join-Path $moduleDir 'en-US') | Out-Null
    # PowerShell 7 ships System.* and Microsoft.Bcl.*; the module carries only what it adds.
    Get-ChildItem $publish -Filter *.dll | Where-Object Name -Match '^(Agno\.|Microsoft\.Data\.Sqlite|SQLitePCLRaw\.)' | Copy-Item -Destination $moduleDir
    Copy-Item (Join-Path $root 'Agno.psd1'), (Join-Path $root 'Agno.Format.ps1xml') $moduleDir
    Get-ChildItem (Join-Path $root 'docs/help') -File -ErrorAction SilentlyContinue | Copy-Item -Destination (Join-Path $moduleDir 'en-US')
    $native = Join-Path (Get-PackagesRoot) ("sqlitepclraw.lib.e_sqlite3/{0}/runtimes" -f (Get-PinnedVersion 'SQLitePCLRaw.bundle_e_sqlite3'))
    foreach ($rid in $nativeRids) {
        $source = Join-Path $native "$rid/native"
        if (-not (Test-Path $source)) { continue }
        $target = New-Item -ItemType Directory -Force -Path (Join-Path $moduleDir "runtimes/$rid/native")
        Copy-Item (Join-Path $source '*') $target
    }
    Write-Host "Module laid out in $moduleDir"
}

function Invoke-UnitTests {
    $results = Join-Path $out 'TestResults'
    if (Test-Path $results) { Remove-Item $results -Recurse -Force }
    & dotnet test (Join-Path $root 'tests/Unit/Agno.Tests.csproj') -c $configuration --nologo --verbosity quiet `
        --logger 'trx;LogFileName=unit.trx' --results-directory $results --collect 'XPlat Code Coverage' | Out-Host
    $trx = Get-ChildItem $results -Recurse -Filter 'unit.trx' | Select-Object -First 1
    if (-not $trx) { Write-Host 'xunit produced no results.'; return @{ Passed = 0; Failed = 1; Skipped = 0 } }
    [xml] $doc = Get-Content $trx.FullName
    $counters = $doc.TestRun.ResultSummary.Counters
    $coverage = Get-ChildItem $results -Recurse -Filter 'coverage.cobertura.xml' | Select-Object -First 1
    if ($coverage) {
        [xml] $cobertura = Get-Content $coverage.FullName
        $core = $cobertura.coverage.packages.package | Where-Object name -EQ 'Agno.Core'
        if ($core) { Write-Host ('Agno.Core line coverage: {0:P1}' -f [double]::Parse($core.'line-rate', [cultureinfo]::InvariantCulture)) }
    }
    @{ Passed = [int] $counters.passed; Failed = [int] $counters.failed + [int] $counters.error; Skipped = [int] $counters.notExecuted }
}

function Invoke-PesterTests {
    $pester = Get-PesterPath
    $summary = Join-Path $out 'pester-summary.json'
    if (Test-Path $summary) { Remove-Item $summary }
    $code = @"
Import-Module '$pester'
`$config = New-PesterConfiguration
`$config.Run.Path = '$(Join-Path $root 'tests/Pester')'
`$config.Run.PassThru = `$true
`$config.Output.Verbosity = 'Normal'
`$result = Invoke-Pester -Configuration `$config
@{ Passed = `$result.PassedCount; Failed = `$result.FailedCount + `$result.FailedBlocksCount + `$result.FailedContainersCount; Skipped = `$result.SkippedCount } | ConvertTo-Json | Set-Content '$summary'
"@
    $null = Invoke-ChildPwsh $code
    if (-not (Test-Path $summary)) { Write-Host 'Pester produced no results.'; return @{ Passed = 0; Failed = 1; Skipped = 0 } }
    $r = Get-Content $summary | ConvertFrom-Json
    @{ Passed = [int] $r.Passed; Failed = [int] $r.Failed; Skipped = [int] $r.Skipped }
}

switch ($Task) {
    'clean' {
        foreach ($dir in @($out) + (Get-ChildItem $root -Recurse -Directory -Include bin, obj | Select-Object -ExpandProperty FullName)) {
            if (Test-Path $dir) { Remove-Item $dir -Recurse -Force }
        }
    }
    'build' { Invoke-Build }
    'test' {
        $failed = 0; $passed = 0; $skipped = 0
        try {
            Invoke-Build
            $unit = Invoke-UnitTests
            $pesterResult = Invoke-PesterTests
            $passed = $unit.Passed + $pesterResult.Passed
            $failed = $unit.Failed + $pesterResult.Failed
            $skipped = $unit.Skipped + $pesterResult.Skipped
        }
        catch {
            Write-Host "Build or test run failed: $_"
            $failed = [Math]::Max($failed, 1)
        }
        # Skipped tests are named in the closing line, so a machine missing something (PostgreSQL) shows.
        Write-Host ("$passed passed, $failed failed" + $(if ($skipped) { ", $skipped skipped" }))
        exit ([int]($failed -gt 0))
    }
    'demo' {
        Invoke-Build
        $code = Invoke-ChildPwsh "& '$(Join-Path $root 'examples/user-orders-report.ps1')'"
        exit $code
    }
    'bench' {
        Invoke-Build
        $code = Invoke-ChildPwsh "& '$(Join-Path $root 'bench/Invoke-Benchmarks.ps1')'"
        exit $code
    }
}
