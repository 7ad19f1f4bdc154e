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

# Sends a child the line it waits for (unless -Sent), and reads its lines (name=value) until it ends.
function Complete-Child([Diagnostics.Process] $Child, [switch] $Sent) {
    if (-not $Sent) { $Child.StandardInput.WriteLine('go') }
    $Child.StandardInput.Close()
    $out = $Child.StandardOutput.ReadToEndAsync()
    $err = $Child.StandardError.ReadToEndAsync()
    if (-not $Child.WaitForExit(120000)) { Stop-ChildPwsh $Child; throw 'A child did not finish in 120 s.' }
    $Child.WaitForExit()
    if ($Child.ExitCode -ne 0 -or $err.Result) { throw "A child failed (exit $($Child.ExitCode)): $($err.Result) $($out.Result)" }
    $values = @{}
    foreach ($line in $out.Result -split '\r?\n' | Where-Object { $_ }) {
        $name, $value = $line -split '=', 2
        $values[$name] = $value
    }
    $values
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

# Runs a query command (SQLite's or Npgsql's) and writes its rows as PSCustomObjects.
function Read-QueryRows($Command) {
    $reader = $Command.ExecuteReader()
    try {
        while ($reader.Read()) {
            $row = [ordered]@{}
            for ($i = 0; $i -lt $reader.FieldCount; $i++) { $row[$reader.GetName($i)] = $reader.GetValue($i) }
            [pscustomobject]$row
        }
    }
    finally { $reader.Dispose() }
}

# Reads rows straight from a store file, as PSCustomObjects.
function Invoke-SqliteQuery([string] $Path, [string] $Sql, [hashtable] $Parameters = @{}) {
    $connection = New-SqliteConnection $Path -ReadOnly
    try {
        $command = $connection.CreateCommand()
        $command.CommandText = $Sql
        foreach ($name in $Parameters.Keys) { $null = $command.Parameters.AddWithValue($name, $Parameters[$name]) }
        Read-QueryRows $command
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

# Everything a store holds, as text, to show that a refused operation changed nothing.
function Get-StoreDump([string] $Path) {
    if (Test-PostgresStore $Path) {
        $tables = 'agno_schema', 'agno_sessions', 'agno_state', 'agno_runs', 'agno_run_nodes'
        return @(foreach ($table in $tables) { Invoke-PostgresQuery $Path "SELECT * FROM $table ORDER BY 1, 2" }) | ConvertTo-Json -Compress -Depth 3
    }
    $tables = @(Invoke-SqliteQuery $Path "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").name
    @(foreach ($table in $tables) { Invoke-SqliteQuery $Path "SELECT * FROM $table ORDER BY 1, 2" }) | ConvertTo-Json -Compress -Depth 3
}

# ---- stores of both kinds: the contract tests run against a SQLite file and a PostgreSQL schema ----

# The PostgreSQL server build.ps1 test started for the run (from $env:AGNO_TEST_SERVERS), or $null.
function Get-AgnoTestPostgres {
    if (-not $env:AGNO_TEST_SERVERS) { return $null }
    ($env:AGNO_TEST_SERVERS | ConvertFrom-Json).Postgres
}

# Why the tests of a store kind cannot run here, or $null when they can.
function Get-TestStoreSkipReason([string] $Kind) {
    if ($Kind -ne 'PostgreSQL' -or (Get-AgnoTestPostgres)) { return $null }
    if (-not $env:AGNO_TEST_SERVERS) { return 'no PostgreSQL test server: $env:AGNO_TEST_SERVERS is not set (build.ps1 test starts one and sets it)' }
    'no PostgreSQL test server: build.ps1 test could not start one here (see its warning)'
}

# The kinds of store the contract tests run against, for -ForEach.
function Get-TestStoreKinds { @(@{ Kind = 'SQLite' }, @{ Kind = 'PostgreSQL' }) }

# A new, empty store of the kind: a file in a folder of its own, or a PostgreSQL connection string
# (TCP, with the password) whose search path is a new schema of its own.
function New-TestStore([string] $Kind) {
    if ($Kind -eq 'SQLite') { return Join-Path (New-TestDirectory) 'agno.db' }
    $server = Get-AgnoTestPostgres
    if (-not $server) { throw (Get-TestStoreSkipReason $Kind) }
    $schema = 't_' + [guid]::NewGuid().ToString('n')
    $null = Invoke-PostgresQuery $server.ConnectionString "CREATE SCHEMA $schema"
    $builder = [Data.Common.DbConnectionStringBuilder]::new()
    $builder.set_ConnectionString($server.ConnectionString)
    $builder['Search Path'] = $schema
    $builder.get_ConnectionString()
}

# A PostgreSQL test store's keyword string as the postgresql:// URI a user would write (password
# percent-encoded unless -NoPassword, the search path as options).
function ConvertTo-TestStoreUri([string] $Store, [switch] $NoPassword) {
    $b = [Data.Common.DbConnectionStringBuilder]::new()
    $b.set_ConnectionString($Store)
    $password = if ($NoPassword) { '' } else { ':' + [uri]::EscapeDataString($b['Password']) }
    'postgresql://{0}{1}@{2}:{3}/{4}?options={5}' -f $b['Username'], $password, $b['Host'], $b['Port'], $b['Database'], [uri]::EscapeDataString("-c search_path=$($b['Search Path'])")
}

function Test-PostgresStore([string] $Store) { $Store -match '^(postgres(ql)?://|.*\bHost=)' }

# Runs SQL on a PostgreSQL store (a keyword connection string) with the module's own Npgsql; returns rows as PSCustomObjects.
function Invoke-PostgresQuery([string] $Store, [string] $Sql, [object[]] $Parameters = @()) {
    if (-not ('Npgsql.NpgsqlConnection' -as [type])) { Add-Type -LiteralPath (Join-Path $script:AgnoModuleDir 'Npgsql.dll') }
    # Unpooled: a test that restarts the server must not leave this helper a dead pooled connection.
    $connection = [Npgsql.NpgsqlConnection]::new("$Store;Pooling=false")
    try {
        $connection.Open()
        $command = $connection.CreateCommand()
        $command.CommandText = $Sql
        foreach ($p in $Parameters) { $null = $command.Parameters.Add([Npgsql.NpgsqlParameter]@{ Value = $p }) }
        Read-QueryRows $command
    }
    finally { $connection.Dispose() }
}

# A session's stored values (key, value as stored JSON), in key order, from either kind of store.
function Get-StoredValues([string] $Store, [string] $SessionId) {
    if (Test-PostgresStore $Store) {
        Invoke-PostgresQuery $Store 'SELECT key, value FROM agno_state WHERE session_key = $1 AND value IS NOT NULL ORDER BY key_norm COLLATE "C"' $SessionId.ToUpperInvariant()
    }
    else { Invoke-SqliteQuery $Store 'SELECT key, value FROM state WHERE session_id = $id ORDER BY key_norm' @{ '$id' = $SessionId } }
}

# A session's stored runs (run_id as text, status), oldest first.
function Get-StoredRuns([string] $Store, [string] $SessionId) {
    if (Test-PostgresStore $Store) {
        Invoke-PostgresQuery $Store 'SELECT run_id::text AS run_id, status FROM agno_runs WHERE session_key = $1 ORDER BY seq' $SessionId.ToUpperInvariant()
    }
    else { Invoke-SqliteQuery $Store 'SELECT run_id, status FROM runs WHERE session_id = $id ORDER BY seq' @{ '$id' = $SessionId } }
}

# The nodes a stored run completed.
function Get-StoredRunNodes([string] $Store, [string] $RunId) {
    if (Test-PostgresStore $Store) { (Invoke-PostgresQuery $Store 'SELECT node FROM agno_run_nodes WHERE run_id = $1::uuid ORDER BY node' $RunId).node }
    else { (Invoke-SqliteQuery $Store 'SELECT node FROM run_nodes WHERE run_id = $r ORDER BY node' @{ '$r' = $RunId }).node }
}

# How many stored rows of state, runs and completed nodes belong to no session the store has.
function Get-StoreOrphanCount([string] $Store) {
    if (Test-PostgresStore $Store) {
        (Invoke-PostgresQuery $Store @'
SELECT (SELECT count(*) FROM agno_state WHERE session_key NOT IN (SELECT session_key FROM agno_sessions))
     + (SELECT count(*) FROM agno_runs WHERE session_key NOT IN (SELECT session_key FROM agno_sessions))
     + (SELECT count(*) FROM agno_run_nodes WHERE run_id NOT IN (SELECT run_id FROM agno_runs)) AS n
'@).n
    }
    else {
        (Invoke-SqliteQuery $Store @'
SELECT (SELECT COUNT(*) FROM state WHERE session_id NOT IN (SELECT session_id FROM sessions))
     + (SELECT COUNT(*) FROM runs WHERE session_id NOT IN (SELECT session_id FROM sessions))
     + (SELECT COUNT(*) FROM run_nodes WHERE run_id NOT IN (SELECT run_id FROM runs)) AS n
'@).n
    }
}

# 'ok' when the store's data is sound: SQLite's integrity_check; a PostgreSQL server keeps its own files sound (a killed client cannot break them).
function Test-StoreSound([string] $Store) {
    if (Test-PostgresStore $Store) { return 'ok' }
    @(Invoke-SqliteQuery $Store 'PRAGMA integrity_check').integrity_check
}

# Overwrites a stored value's JSON behind the store's back (a tampered or foreign row); returns the rows changed.
function Set-StoredValue([string] $Store, [string] $SessionId, [string] $Key, [string] $Json) {
    if (Test-PostgresStore $Store) {
        $null = Invoke-PostgresQuery $Store 'UPDATE agno_state SET value = $1 WHERE session_key = $2 AND key = $3' $Json, $SessionId.ToUpperInvariant(), $Key
        @(Invoke-PostgresQuery $Store 'SELECT 1 AS n FROM agno_state WHERE session_key = $1 AND key = $2 AND value = $3' $SessionId.ToUpperInvariant(), $Key, $Json).Count
    }
    else {
        Invoke-SqliteNonQuery $Store 'UPDATE state SET value = $v WHERE session_id = $s AND key = $k' @{ '$v' = $Json; '$s' = $SessionId; '$k' = $Key }
    }
}


Export-ModuleMember -Function *
