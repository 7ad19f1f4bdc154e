# The helpers every Pester file shares, in one place. A test file's BeforeAll imports this module and
# calls Import-AgnoForTest, which imports the laid-out module (out/Agno) into the session globally.
# Child processes and child runspaces get the module's path ($AgnoModulePath) as their first argument.

$script:AgnoModulePath = [IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../../out/Agno/Agno.psd1'))
if (-not (Test-Path -LiteralPath $script:AgnoModulePath)) { throw "The module is not built ($script:AgnoModulePath is missing): run build.ps1 build first." }
$script:AgnoModuleDir = Split-Path -Parent $script:AgnoModulePath

# Under `dotnet pwsh` the running process is dotnet itself: a child then needs pwsh.dll first.
$script:PwshExe = (Get-Process -Id $PID).Path
$script:PwshPrefix = @(if ([IO.Path]::GetFileNameWithoutExtension($script:PwshExe) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' })

# The laid-out module's manifest path.
function Get-AgnoModulePath { $script:AgnoModulePath }

# Imports the laid-out module globally (so the test file's scope sees it) and sets $AgnoModulePath there.
function Import-AgnoForTest {
    Import-Module $script:AgnoModulePath -Force -Global
    Set-Variable -Scope Global -Name AgnoModulePath -Value $script:AgnoModulePath
}

# The command line that starts a child pwsh: the executable and the arguments before pwsh's own.
function Get-PwshCommand { [pscustomobject]@{ Path = $script:PwshExe; Prefix = @($script:PwshPrefix) } }

# A folder of its own under the test drive (or the temp folder outside Pester).
function New-TestDirectory {
    $root = if (Test-Path TestDrive:\) { (Get-PSDrive TestDrive).Root } else { [IO.Path]::GetTempPath() }
    (New-Item -ItemType Directory -Path (Join-Path $root ([guid]::NewGuid().ToString('n')))).FullName
}

# ---- synchronisation across runspaces of this process ----

# Steps run in other runspaces of this process; they reach a synchronisation object the test made
# through AppDomain data, by a name passed with $using: or as an argument.
function New-SharedObject([object] $Value) {
    $name = 'agno-test-' + [guid]::NewGuid()
    [AppDomain]::CurrentDomain.SetData($name, $Value)
    $name
}

function Remove-SharedObject([string[]] $Name) {
    foreach ($n in $Name) { [AppDomain]::CurrentDomain.SetData($n, $null) }
}

# The ErrorRecord a command throws (or $null).
function Get-ThrownError([scriptblock] $ScriptBlock) {
    try { $null = & $ScriptBlock; $null } catch { $_ }
}

# The pooled step runspaces that are in use right now.
function Get-BusyAgnoRunspace {
    @(Get-Runspace | Where-Object { $_.Name -eq 'Agno' -and $_.RunspaceAvailability -ne 'Available' })
}

# The run record among what Invoke-AgnoWorkflow -PassThru wrote.
function Select-RunRecord { process { if ($_ -is [Agno.Core.RunRecord]) { $_ } } }

# ---- a user's command in another runspace of this process, that Ctrl+C can stop ----

# Starts $Script in a [powershell] of its own runspace (Agno imported there), with $Session and the
# name of a shared CountdownEvent the script's steps signal when they have started.
function Start-ChildInvocation([scriptblock] $Script, $Session, [string] $StartedName) {
    $runspace = [runspacefactory]::CreateRunspace()
    $runspace.Open()
    $child = [powershell]::Create()
    $child.Runspace = $runspace
    $null = $child.AddScript("param(`$ModulePath, `$Session, `$StartedName) Import-Module `$ModulePath`n" + $Script.ToString())
    $null = $child.AddArgument($script:AgnoModulePath).AddArgument($Session).AddArgument($StartedName)
    $null = $child.BeginInvoke()
    $child
}

# Stops a child invocation (as Ctrl+C does) and returns how long the stop took.
function Stop-ChildInvocation($Child) {
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $Child.Stop()
    $clock.Elapsed
}

function Remove-ChildInvocation($Child) {
    $runspace = $Child.Runspace
    $Child.Dispose()
    $runspace.Dispose()
}

# ---- child pwsh processes (a user's other scheduled scripts) ----

# Writes a child script to a file; its first parameter is always the module's path.
function New-ChildScript([string] $Text) {
    $file = Join-Path (New-TestDirectory) 'child.ps1'
    Set-Content -LiteralPath $file -Value $Text -Encoding utf8
    $file
}

# Starts a child pwsh on a script (its first parameter is the module's path), streams redirected;
# the caller owns the process. -Shell runs it through /bin/sh -c $Shell first (for ulimit);
# -Environment adds or changes environment variables (a $null value removes one).
function Start-ChildPwsh([string] $Script, [string[]] $ArgumentList = @(), [string] $Shell, [hashtable] $Environment = @{}) {
    $pwshArgs = @($script:PwshPrefix) + @('-NoProfile', '-NonInteractive', '-File', (New-ChildScript $Script), $script:AgnoModulePath) + @($ArgumentList)
    if ($Shell) {
        $psi = [Diagnostics.ProcessStartInfo]::new('/bin/sh')
        foreach ($a in @('-c', "$Shell; exec `"`$@`"", 'sh', $script:PwshExe) + $pwshArgs) { $psi.ArgumentList.Add($a) }
    }
    else {
        $psi = [Diagnostics.ProcessStartInfo]::new($script:PwshExe)
        foreach ($a in $pwshArgs) { $psi.ArgumentList.Add($a) }
    }
    foreach ($name in $Environment.Keys) {
        if ($null -eq $Environment[$name]) { $null = $psi.Environment.Remove($name) } else { $psi.Environment[$name] = [string] $Environment[$name] }
    }
    $psi.UseShellExecute = $false
    $psi.RedirectStandardInput = $true
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    [Diagnostics.Process]::Start($psi)
}

# Runs a child pwsh to its end (bounded); returns its stdout lines, throws with its stderr if it failed.
function Invoke-ChildPwsh([string] $Script, [string[]] $ArgumentList = @(), [string] $Shell, [hashtable] $Environment = @{}, [int] $TimeoutSeconds = 60) {
    $process = Start-ChildPwsh $Script $ArgumentList -Shell $Shell -Environment $Environment
    try {
        $process.StandardInput.Close()
        $stdout = $process.StandardOutput.ReadToEndAsync()
        $stderr = $process.StandardError.ReadToEndAsync()
        if (-not $process.WaitForExit($TimeoutSeconds * 1000)) { throw "The child pwsh did not finish in $TimeoutSeconds s." }
        $process.WaitForExit()
        if ($process.ExitCode -ne 0 -or $stderr.Result) {
            throw "The child pwsh failed (exit code $($process.ExitCode)): $($stderr.Result) $($stdout.Result)"
        }
        @($stdout.Result -split '\r?\n' | Where-Object { $_ -ne '' })
    }
    finally {
        if (-not $process.HasExited) { $process.Kill() }
        $process.Dispose()
    }
}

function Stop-ChildPwsh([Diagnostics.Process[]] $Process) {
    foreach ($p in $Process) {
        if ($p -and -not $p.HasExited) { $p.Kill(); $null = $p.WaitForExit(10000) }
    }
}

# Reads (bounded) the next stdout line of a child.
function Read-ChildLine([Diagnostics.Process] $Process, [int] $TimeoutSeconds = 60) {
    $line = $Process.StandardOutput.ReadLineAsync()
    if (-not $line.Wait($TimeoutSeconds * 1000)) {
        Stop-ChildPwsh $Process
        throw "A child pwsh wrote nothing in $TimeoutSeconds s: $($Process.StandardError.ReadToEnd())"
    }
    $line.Result
}

# Waits (bounded) for a child's first stdout line: 'ready' once it has done its setup.
function Wait-ChildReady([Diagnostics.Process] $Process, [int] $TimeoutSeconds = 60) {
    $line = Read-ChildLine $Process $TimeoutSeconds
    if ($line -ne 'ready') {
        Stop-ChildPwsh $Process
        throw "A child pwsh did not get ready (first line: '$line'): $($Process.StandardError.ReadToEnd())"
    }
}

# ---- store files, read directly with the module's bundled SQLite ----

# Loads the module's bundled Microsoft.Data.Sqlite (.NET loads it lazily) and its native provider.
function Initialize-TestSqlite {
    foreach ($assembly in 'SQLitePCLRaw.core', 'SQLitePCLRaw.batteries_v2', 'Microsoft.Data.Sqlite') {
        if (-not ([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq $assembly })) {
            Add-Type -LiteralPath (Join-Path $script:AgnoModuleDir "$assembly.dll")
        }
    }
    [SQLitePCL.Batteries_V2]::Init()
}

function New-SqliteConnection([string] $Path, [switch] $ReadOnly) {
    Initialize-TestSqlite
    $builder = [Microsoft.Data.Sqlite.SqliteConnectionStringBuilder]::new()
    $builder.DataSource = $Path
    $builder.Mode = if ($ReadOnly) { [Microsoft.Data.Sqlite.SqliteOpenMode]::ReadOnly } else { [Microsoft.Data.Sqlite.SqliteOpenMode]::ReadWrite } # never creates a file
    $builder.Pooling = $false
    $connection = [Microsoft.Data.Sqlite.SqliteConnection]::new($builder.ToString())
    $connection.Open()
    $connection
}

# Reads rows straight from a store file, as PSCustomObjects.
function Invoke-SqliteQuery([string] $Path, [string] $Sql, [hashtable] $Parameters = @{}) {
    $connection = New-SqliteConnection $Path -ReadOnly
    try {
        $command = $connection.CreateCommand()
        $command.CommandText = $Sql
        foreach ($name in $Parameters.Keys) { $null = $command.Parameters.AddWithValue($name, $Parameters[$name]) }
        $reader = $command.ExecuteReader()
        try {
            while ($reader.Read()) {
                $row = [ordered]@{}
                for ($i = 0; $i -lt $reader.FieldCount; $i++) { $row[$reader.GetName($i)] = $reader.GetValue($i) }
                [pscustomobject]$row
            }
        }
        finally { $reader.Dispose() }
    }
    finally { $connection.Dispose() }
}

function Invoke-SqliteNonQuery([string] $Path, [string] $Sql, [hashtable] $Parameters = @{}) {
    $connection = New-SqliteConnection $Path
    try {
        $command = $connection.CreateCommand()
        $command.CommandText = $Sql
        foreach ($name in $Parameters.Keys) { $null = $command.Parameters.AddWithValue($name, $Parameters[$name]) }
        $command.ExecuteNonQuery()
    }
    finally { $connection.Dispose() }
}

# Everything a store file holds, as text, to show that a refused operation changed nothing.
function Get-StoreDump([string] $Path) {
    $tables = @(Invoke-SqliteQuery $Path "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").name
    @(foreach ($table in $tables) { Invoke-SqliteQuery $Path "SELECT * FROM $table ORDER BY 1, 2" }) | ConvertTo-Json -Compress -Depth 3
}

Export-ModuleMember -Function *
