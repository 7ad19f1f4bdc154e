<#
.SYNOPSIS
    Builds, tests, packages, benchmarks and demonstrates Agno for PowerShell.
.DESCRIPTION
    build    compiles the engine and the cmdlets and lays the module out in out/Agno
             (Import-Module ./out/Agno loads it), with CHANGELOG.md's section for the version
             as the manifest's ReleaseNotes.
    package  builds, then writes out/Agno.<version>.nupkg, which Install-PSResource installs.
    test     builds and packages, then runs the xunit tests (with Agno.Core line coverage) and
             the Pester tests, and ends with one line 'N passed, N failed, N skipped', after
             the skipped tests listed by name. Exits 1 on any failure. Results are written to
             out/TestResults (<project>.trx, pester.junit.xml). -Path, -Filter and -Tag run part
             of the suite; -NoBuild runs what is already built.
    bench    builds, then runs the benchmarks and writes docs/benchmarks.md (the PostgreSQL
             benchmark against a throwaway server that bench/Invoke-Benchmarks.ps1 starts from
             tests/Servers/Postgres.psm1 and stops after).
    demo     builds, then runs the main example (examples/user-orders-report.ps1).
    clean    removes build output.

    Test servers: before the tests run, each tests/Servers/<Name>.psm1 that exports
    Start-AgnoTest<Name> is imported and that function called. It returns an object describing
    the running server, or $null (with a warning saying why) when the server cannot run here.
    The xunit and Pester runs get every result as JSON in $env:AGNO_TEST_SERVERS, '{"<Name>":
    object or null}', and tests that need a server skip without it. At the end, also on failure or
    Ctrl+C, Stop-AgnoTest<Name> is called with that object as its first argument.
.PARAMETER Path
    test only: Pester test files or folders, and xunit test projects (a folder holding a
    .csproj under tests/) or files and folders in them (the classes their .cs files declare).
    Relative paths are from the current directory. Only the tests named run. Several paths:
    separated by spaces (build.ps1 test a.Tests.ps1 b.Tests.ps1).
.PARAMETER Filter
    test only: an xunit filter (dotnet test --filter), e.g. 'FullyQualifiedName~MergeTests'.
    Runs the xunit projects (those of -Path, else all) with it.
.PARAMETER Tag
    test only: runs the Pester tests with any of these tags (in the -Path Pester files, else
    all). Several tags: separated by commas.
.PARAMETER NoBuild
    test only: runs the tests against what was last built, without building or packaging.
.EXAMPLE
    dotnet tool restore && dotnet pwsh -NoProfile -File build.ps1 test
.EXAMPLE
    dotnet pwsh -NoProfile -File build.ps1 test -NoBuild -Path tests/Pester/State.Tests.ps1 -Filter 'FullyQualifiedName~Merge'
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('build', 'package', 'test', 'bench', 'demo', 'clean')]
    [string] $Task = 'test',
    # Also every argument after the task that no other parameter takes, so that several paths
    # can be given from 'pwsh -File' (which passes 'a,b' as one string).
    [Parameter(Position = 1, ValueFromRemainingArguments)]
    [string[]] $Path,
    [string] $Filter,
    [string[]] $Tag,
    [switch] $NoBuild
)

$ErrorActionPreference = 'Stop'
$root = $PSScriptRoot
$out = Join-Path $root 'out'
$moduleDir = Join-Path $out 'Agno'
$results = Join-Path $out 'TestResults'
$configuration = 'Release'

# Tags have no commas: 'a,b' from 'pwsh -File' is two tags.
$Tag = @($Tag -split ',' | ForEach-Object Trim | Where-Object { $_ })
if ($Task -ne 'test' -and ($Path -or $Filter -or $Tag -or $NoBuild)) {
    throw "-Path, -Filter, -Tag and -NoBuild apply to the test task only, not to '$Task'."
}

function Invoke-Dotnet {
    & dotnet @args
    if ($LASTEXITCODE -ne 0) { throw "dotnet $($args -join ' ') failed with exit code $LASTEXITCODE." }
}

# A PowerShell string literal of any text, for code passed to a child pwsh.
function ConvertTo-Literal([string] $Text) {
    "'" + [System.Management.Automation.Language.CodeGeneration]::EscapeSingleQuotedStringContent($Text) + "'"
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

# The version lives in Agno.psd1 alone (Directory.Build.props reads it for the assemblies).
function Get-ModuleVersion {
    (Import-PowerShellDataFile (Join-Path $root 'Agno.psd1')).ModuleVersion
}

# The body of CHANGELOG.md's section headed '## <version>' (or '## [<version>]').
function Get-ReleaseNotes([string] $Version) {
    $lines = @(Get-Content (Join-Path $root 'CHANGELOG.md'))
    $heading = '^##\s+\[?' + [regex]::Escape($Version) + '\]?(\s|$)'
    $start = @(0..($lines.Count - 1) | Where-Object { $lines[$_] -match $heading })[0]
    if ($null -eq $start) {
        throw "CHANGELOG.md has no section for version $Version (Agno.psd1's ModuleVersion): add one headed '## $Version' saying what changed."
    }
    $end = @(($start + 1)..($lines.Count) | Where-Object { $_ -eq $lines.Count -or $lines[$_] -match '^##\s' })[0]
    $notes = ($lines[($start + 1)..($end - 1)] -join "`n").Trim()
    if (-not $notes) { throw "CHANGELOG.md's section for version $Version is empty: say what changed." }
    $notes
}

function Invoke-Build {
    $publish = Join-Path $out 'publish'
    Invoke-Dotnet publish (Join-Path $root 'src/Agno.PowerShell/Agno.PowerShell.csproj') -c $configuration -o $publish --nologo --verbosity quiet
    if (Test-Path $moduleDir) { Remove-Item $moduleDir -Recurse -Force }
    New-Item -ItemType Directory -Path $moduleDir, (Join-Path $moduleDir 'en-US') | Out-Null
    # PowerShell 7 ships System.* and Microsoft.Bcl.*; the module carries only what it adds: SQLite,
    # and Npgsql with the two Microsoft.Extensions abstractions it needs (8.0, which .NET 8 and 10 both load).
    Get-ChildItem $publish -Filter *.dll |
        Where-Object Name -Match '^(Agno\.|Microsoft\.Data\.Sqlite|SQLitePCLRaw\.|Npgsql\.dll$|Microsoft\.Extensions\.(Logging|DependencyInjection)\.Abstractions\.dll$)' |
        Copy-Item -Destination $moduleDir
    Copy-Item (Join-Path $root 'Agno.Format.ps1xml'), (Join-Path $root 'LICENSE') $moduleDir
    Get-ChildItem (Join-Path $root 'docs/help') -File -Filter 'about_*' | Copy-Item -Destination (Join-Path $moduleDir 'en-US')
    $native = Join-Path (Get-PackagesRoot) ("sqlitepclraw.lib.e_sqlite3/{0}/runtimes" -f (Get-PinnedVersion 'SQLitePCLRaw.bundle_e_sqlite3'))
    foreach ($rid in $nativeRids) {
        $source = Join-Path $native "$rid/native"
        if (-not (Test-Path $source)) { continue }
        $target = New-Item -ItemType Directory -Force -Path (Join-Path $moduleDir "runtimes/$rid/native")
        Copy-Item (Join-Path $source '*') $target
    }
    Write-Manifest
    # Cmdlet help: the prose from docs/help/commands, the syntax from the built cmdlets (a fresh pwsh loads them).
    $helpFile = Join-Path $moduleDir 'en-US/Agno.PowerShell.dll-Help.xml'
    $code = Invoke-ChildPwsh "& '$(Join-Path $root 'tools/Build-Help.ps1')' -ModulePath '$moduleDir' -Source '$(Join-Path $root 'docs/help/commands')' -Destination '$helpFile'"
    if ($code -ne 0) { throw 'The cmdlet help could not be built (see above).' }
    Write-Host "Module $(Get-ModuleVersion) laid out in $moduleDir"
}

# Copies Agno.psd1 into the layout with the release notes in place of its empty ReleaseNotes.
function Write-Manifest {
    $version = Get-ModuleVersion
    $notes = Get-ReleaseNotes $version
    $pattern = "(?m)^(\s*ReleaseNotes\s*=\s*)''"
    $text = Get-Content (Join-Path $root 'Agno.psd1') -Raw
    if (([regex]::Matches($text, $pattern)).Count -ne 1) {
        throw "Agno.psd1 needs exactly one line ReleaseNotes = '' in PrivateData.PSData: the build writes CHANGELOG.md's section there."
    }
    $manifest = Join-Path $moduleDir 'Agno.psd1'
    $text -replace $pattern, { $_.Groups[1].Value + (ConvertTo-Literal $notes) } | Set-Content $manifest -NoNewline
    if ((Import-PowerShellDataFile $manifest).PrivateData.PSData.ReleaseNotes -ne $notes) { throw "The release notes did not survive the round trip through $manifest." }
}

function Invoke-Package {
    $nupkg = Join-Path $out "Agno.$(Get-ModuleVersion).nupkg"
    # out/ is the local feed the README registers: it holds this build's package only.
    Get-ChildItem $out -Filter 'Agno.*.nupkg' | Remove-Item
    # Compress-PSResource (PSResourceGet, shipped with PowerShell 7.4+) writes the package that
    # Publish-PSResource would push, without a repository.
    $exit = Invoke-ChildPwsh "`$ErrorActionPreference = 'Stop'; Compress-PSResource -Path $(ConvertTo-Literal $moduleDir) -DestinationPath $(ConvertTo-Literal $out)"
    if ($exit -ne 0 -or -not (Test-Path $nupkg)) { throw "Compress-PSResource did not write $nupkg (exit code $exit); its error is above." }
    Write-Host "Package written to $nupkg"
}

# One result per test runner: counts, the skipped tests (Name, Reason), and problems (failures
# that are not a failed test, such as a crashed test host).
function New-TestResult {
    [pscustomobject]@{ Passed = 0; Failed = 0; Skipped = [Collections.Generic.List[object]]::new(); Problems = [Collections.Generic.List[string]]::new() }
}

# What -Path, -Filter and -Tag select: the xunit projects (each with its filter, or $null for
# all of its tests) and the Pester paths. $null for a runner that does not run.
function Resolve-TestSelection {
    $projects = @(Get-ChildItem (Join-Path $root 'tests') -Recurse -Filter *.csproj | Where-Object FullName -NotMatch '[\\/](bin|obj)[\\/]')
    if (-not ($Path -or $Filter -or $Tag)) {
        return @{ Unit = @($projects | ForEach-Object { @{ Project = $_.FullName; Filter = $null } }); Pester = @(Join-Path $root 'tests/Pester') }
    }
    $pester = [Collections.Generic.List[string]]::new()
    $unit = [ordered]@{}   # project -> list of test classes, or $null for the whole project
    foreach ($item in $Path) {
        $full = (Resolve-Path -LiteralPath $item -ErrorAction Ignore).ProviderPath
        if (-not $full) { throw "-Path '$item' does not exist (relative paths are from the current directory, $((Get-Location).ProviderPath))." }
        $project = $projects | Where-Object { $full -eq $_.DirectoryName -or $full.StartsWith($_.DirectoryName + [IO.Path]::DirectorySeparatorChar) } | Select-Object -First 1
        if ($project) {
            $key = $project.FullName
            if ($full -eq $project.DirectoryName) { $unit[$key] = $null; continue }
            $files = if (Test-Path -LiteralPath $full -PathType Container) { Get-ChildItem $full -Recurse -Filter *.cs | Where-Object FullName -NotMatch '[\\/](bin|obj)[\\/]' }
            elseif ($full -like '*.cs') { Get-Item -LiteralPath $full }
            else { throw "-Path '$item' is inside the xunit project $($project.Name) but is neither a folder nor a .cs file." }
            $classes = $files | ForEach-Object { [regex]::Matches((Get-Content $_.FullName -Raw), '\bclass\s+(\w+)') } | ForEach-Object { $_.Groups[1].Value }
            if (-not $classes) { throw "-Path '$item' declares no test class." }
            if (-not $unit.Contains($key)) { $unit[$key] = [Collections.Generic.List[string]]::new() }
            if ($null -ne $unit[$key]) { $unit[$key].AddRange([string[]] @($classes)) }
        }
        elseif ((Test-Path -LiteralPath $full -PathType Container) -or $full -like '*.ps1') { $pester.Add($full) }
        else { throw "-Path '$item' is neither a Pester test file or folder nor part of an xunit project under tests/." }
    }
    if ($Filter -and $unit.Count -eq 0) { foreach ($p in $projects) { $unit[$p.FullName] = $null } }
    if ($Tag -and $pester.Count -eq 0) { $pester.Add((Join-Path $root 'tests/Pester')) }
    $unitRuns = foreach ($key in $unit.Keys) {
        # Test names are Namespace.Class.Method: '.Class.' picks a class in any namespace.
        $filters = @(if ($unit[$key]) { ($unit[$key] | ForEach-Object { "FullyQualifiedName~.$_." }) -join '|' }) + @(if ($Filter) { $Filter })
        @{ Project = $key; Filter = if ($filters) { ($filters | ForEach-Object { "($_)" }) -join '&' } else { $null } }
    }
    @{ Unit = @($unitRuns); Pester = @($pester) }
}

function Invoke-UnitTests([hashtable[]] $Runs) {
    $result = New-TestResult
    foreach ($run in $Runs) {
        $name = [IO.Path]::GetFileNameWithoutExtension($run.Project)
        $trx = Join-Path $results "$name.trx"
        $coverageBefore = @(Get-ChildItem $results -Recurse -Filter 'coverage.cobertura.xml' | ForEach-Object FullName)
        $arguments = @('test', $run.Project, '-c', $configuration, '--nologo', '--verbosity', 'quiet',
            '--logger', "trx;LogFileName=$name.trx", '--results-directory', $results, '--collect', 'XPlat Code Coverage')
        if ($NoBuild) { $arguments += '--no-build' }
        if ($run.Filter) { $arguments += '--filter', $run.Filter }
        & dotnet @arguments | Out-Host
        $exit = $LASTEXITCODE
        if (-not (Test-Path $trx)) {
            $hint = if ($NoBuild) { ' With -NoBuild the project must have been built before: run once without -NoBuild.' } else { ' See its output above.' }
            $result.Problems.Add("xunit ($name) wrote no results (dotnet test exit code $exit).$hint")
            continue
        }
        [xml] $doc = Get-Content $trx
        $failedBefore = $result.Failed
        foreach ($test in @($doc.TestRun.Results.UnitTestResult)) {
            switch ($test.outcome) {
                'Passed' { $result.Passed++ }
                'NotExecuted' { $result.Skipped.Add([pscustomobject]@{ Name = "xunit $($test.testName)"; Reason = "$($test.Output.ErrorInfo.Message)".Trim() }) }
                default { $result.Failed++ }
            }
        }
        if ($exit -ne 0 -and $result.Failed -eq $failedBefore) { $result.Problems.Add("xunit ($name): dotnet test exited with code $exit with no failed test; see its output above.") }
        if ($run.Filter -and @($doc.TestRun.Results.UnitTestResult).Count -eq 0) { $result.Problems.Add("xunit ($name): no test matched the filter '$($run.Filter)'.") }
        $coverage = Get-ChildItem $results -Recurse -Filter 'coverage.cobertura.xml' | Where-Object FullName -NotIn $coverageBefore | Select-Object -First 1
        if ($coverage) {
            [xml] $cobertura = Get-Content $coverage.FullName
            $core = $cobertura.coverage.packages.package | Where-Object name -EQ 'Agno.Core'
            if ($core) { Write-Host ('Agno.Core line coverage ({0}): {1:P1}' -f $name, [double]::Parse($core.'line-rate', [cultureinfo]::InvariantCulture)) }
        }
    }
    $result
}

function Start-TestServers([Collections.Generic.List[object]] $Running, $Result) {
    $servers = [ordered]@{}
    foreach ($file in Get-ChildItem (Join-Path $root 'tests/Servers') -Filter *.psm1 -File -ErrorAction Ignore | Sort-Object Name) {
        $name = $file.BaseName
        try {
            $module = Import-Module $file.FullName -PassThru -Force
            $start = $module.ExportedCommands["Start-AgnoTest$name"]
            if (-not $start) { continue }
            Write-Host "Starting test server $name ($start)"
            $server = & $start
            $servers[$name] = $server
            $Running.Add([pscustomobject]@{ Name = $name; Server = $server; Stop = $module.ExportedCommands["Stop-AgnoTest$name"] })
            if ($null -eq $server) { Write-Host "Test server $name is not running: the tests that need it will skip." -ForegroundColor Yellow }
        }
        catch {
            $servers[$name] = $null
            $Result.Problems.Add("Test server $name did not start: $_ (Start-AgnoTest$name should return `$null with a warning when it cannot run here).")
        }
    }
    $env:AGNO_TEST_SERVERS = ConvertTo-Json (ConvertTo-PlainData $servers) -Depth 10 -Compress
}

# What a server's description holds that JSON can carry to the tests: strings, numbers, booleans,
# and lists and maps of them. Live objects a server keeps for itself (its processes, log streams)
# are left out.
function ConvertTo-PlainData($Value, [int] $Depth = 0) {
    if ($null -eq $Value -or $Depth -gt 8) { return $null }
    if ($Value -is [string] -or $Value -is [bool] -or $Value -is [ValueType]) { return $Value }
    if ($Value -is [Collections.IDictionary]) {
        $map = [ordered]@{}
        foreach ($key in $Value.Keys) { $map["$key"] = ConvertTo-PlainData $Value[$key] ($Depth + 1) }
        return $map
    }
    if ($Value -is [Collections.IEnumerable]) { return , @($Value | ForEach-Object { ConvertTo-PlainData $_ ($Depth + 1) }) }
    if ($Value -is [Management.Automation.PSCustomObject]) {
        $map = [ordered]@{}
        foreach ($p in $Value.PSObject.Properties) {
            $v = $p.Value
            if ($null -eq $v -or $v -is [string] -or $v -is [ValueType] -or $v -is [Collections.IEnumerable] -or $v -is [Management.Automation.PSCustomObject]) {
                $map[$p.Name] = ConvertTo-PlainData $v ($Depth + 1)
            }
        }
        return $map
    }
    $null
}

function Stop-TestServers([Collections.Generic.List[object]] $Running, $Result) {
    for ($i = $Running.Count - 1; $i -ge 0; $i--) {
        $entry = $Running[$i]
        if ($null -eq $entry.Server) { continue }
        if (-not $entry.Stop) { $Result.Problems.Add("tests/Servers/$($entry.Name).psm1 exports no Stop-AgnoTest$($entry.Name): the server it started may still be running."); continue }
        try { & $entry.Stop $entry.Server }
        catch { $Result.Problems.Add("Test server $($entry.Name) did not stop: $_") }
    }
}

function Invoke-PesterTests([string[]] $Paths) {
    $summary = Join-Path $results 'pester-summary.json'
    $settings = @{
        Pester = Get-PesterPath; Root = $root; Paths = $Paths; Tags = $Tag
        ResultFile = Join-Path $results 'pester.junit.xml'; Summary = $summary
    } | ConvertTo-Json -Compress
    $code = "`$settings = $(ConvertTo-Literal $settings) | ConvertFrom-Json`n" + {
        # The tests run in this scope, under the preferences a user's shell has: no $ErrorActionPreference
        # here. A failure of what follows leaves no summary, which counts as a failure.
        Import-Module $settings.Pester -ErrorAction Stop
        $config = New-PesterConfiguration
        $config.Run.Path = [string[]] $settings.Paths
        $config.Run.PassThru = $true
        $config.Output.Verbosity = 'Normal'
        if ($settings.Tags) { $config.Filter.Tag = [string[]] $settings.Tags }
        $result = Invoke-Pester -Configuration $config
        if ($null -eq $result) { throw 'Invoke-Pester returned no result.' }
        # The result file is written here rather than by Invoke-Pester: a failure message may hold
        # characters XML cannot (a colored error's escape codes), which would end the run unreported.
        foreach ($test in $result.Failed) {
            $test.ErrorRecord = @($test.ErrorRecord | ForEach-Object {
                    $clean = "$($_.Exception.Message)" -replace '\x1B\[[0-9;]*[A-Za-z]' -replace '[\x00-\x08\x0B\x0C\x0E-\x1F]'
                    [System.Management.Automation.ErrorRecord]::new([Exception]::new($clean), $_.FullyQualifiedErrorId, $_.CategoryInfo.Category, $null)
                })
        }
        $result | Export-JUnitReport -Path $settings.ResultFile -ErrorAction Stop
        # Set-ItResult keeps its reason as the test's error: 'is skipped, because <reason>'.
        $skipped = foreach ($test in @($result.Skipped) + @($result.Inconclusive)) {
            $reason = @($test.ErrorRecord)[0].Exception.Message -replace '^is (skipped|inconclusive), because '
            if ($test.Result -eq 'Inconclusive') { $reason = "inconclusive: $reason" }
            @{ Name = "Pester $([IO.Path]::GetRelativePath($settings.Root, $test.ScriptBlock.File)): $($test.ExpandedPath)"; Reason = "$reason".Trim() }
        }
        @{
            Passed  = $result.PassedCount
            Failed  = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
            Skipped = @($skipped)
            Total   = $result.TotalCount - $result.NotRunCount
        } | ConvertTo-Json -Depth 4 | Set-Content $settings.Summary
    }.ToString()
    $null = Invoke-ChildPwsh $code
    $result = New-TestResult
    if (-not (Test-Path $summary)) { $result.Problems.Add('Pester wrote no results; see its output above.'); return $result }
    $r = Get-Content $summary -Raw | ConvertFrom-Json
    $result.Passed = [int] $r.Passed
    $result.Failed = [int] $r.Failed
    foreach ($s in @($r.Skipped)) { $result.Skipped.Add($s) }
    if ($Tag -and [int] $r.Total -eq 0) { $result.Problems.Add("Pester: no test has the tag(s) $($Tag -join ', ') in $($Paths -join ', ').") }
    $result
}

switch ($Task) {
    'clean' {
        foreach ($dir in @($out) + (Get-ChildItem $root -Recurse -Directory -Include bin, obj | Select-Object -ExpandProperty FullName)) {
            if (Test-Path $dir) { Remove-Item $dir -Recurse -Force }
        }
    }
    'build' { Invoke-Build }
    'package' {
        Invoke-Build
        Invoke-Package
    }
    'test' {
        $all = [Collections.Generic.List[object]]::new()
        $run = New-TestResult   # problems of the run itself: build, servers
        $all.Add($run)
        $running = [Collections.Generic.List[object]]::new()
        $previousServers = $env:AGNO_TEST_SERVERS
        try {
            $selection = Resolve-TestSelection
            if (-not $NoBuild) {
                Invoke-Build
                Invoke-Package
            }
            elseif ($selection.Pester -and -not (Test-Path (Join-Path $moduleDir 'Agno.psd1'))) {
                throw "-NoBuild, but the module is not built ($moduleDir): run build.ps1 package first, or drop -NoBuild."
            }
            if (Test-Path $results) { Remove-Item $results -Recurse -Force }
            $null = New-Item -ItemType Directory -Path $results
            # One set of servers for the whole run: the xunit and the Pester tests both find them in $env:AGNO_TEST_SERVERS.
            Start-TestServers $running $run
            if ($selection.Unit) { $all.Add((Invoke-UnitTests $selection.Unit)) }
            if ($selection.Pester) { $all.Add((Invoke-PesterTests $selection.Pester)) }
        }
        catch {
            $run.Problems.Add("Build or test run failed: $_")
        }
        finally {
            # Also on Ctrl+C: PowerShell runs finally blocks when it stops a script.
            Stop-TestServers $running $run
            $env:AGNO_TEST_SERVERS = $previousServers
        }
        $skipped = @($all | ForEach-Object { $_.Skipped })
        $problems = @($all | ForEach-Object { $_.Problems })
        $passed = ($all | Measure-Object Passed -Sum).Sum
        $failed = ($all | Measure-Object Failed -Sum).Sum + $problems.Count
        foreach ($problem in $problems) { Write-Host "FAILED: $problem" -ForegroundColor Red }
        if ($skipped) {
            Write-Host ''
            Write-Host "$($skipped.Count) TEST(S) SKIPPED: they did not run, and CI must run them all." -ForegroundColor Yellow
            foreach ($test in $skipped) { Write-Host "  SKIPPED $($test.Name)$(if ($test.Reason) { " -- $($test.Reason)" })" -ForegroundColor Yellow }
        }
        Write-Host "$passed passed, $failed failed, $($skipped.Count) skipped"
        exit ([int]($failed -gt 0))
    }
    'demo' {
        Invoke-Build
        $code = Invoke-ChildPwsh "& $(ConvertTo-Literal (Join-Path $root 'examples/user-orders-report.ps1'))"
        exit $code
    }
    'bench' {
        Invoke-Build
        $code = Invoke-ChildPwsh "& $(ConvertTo-Literal (Join-Path $root 'bench/Invoke-Benchmarks.ps1'))"
        exit $code
    }
}
