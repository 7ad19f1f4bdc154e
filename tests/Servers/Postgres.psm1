#Requires -Version 7.0
# A throwaway PostgreSQL server for tests: the machine's own binaries, a cluster initialised into
# a temp folder, listening on a unix socket in that folder and on 127.0.0.1 at a free port,
# stopped and removed at the end. Tests call Get-AgnoTestPostgresSkipReason at discovery (to skip,
# loudly, where there is no PostgreSQL) and Start-/Stop-AgnoTestPostgres in BeforeAll/AfterAll.
#
# Authentication: the unix socket trusts any user name (only the folder's owner, and root, can
# reach it: the folder is 0700); TCP asks for a password (scram-sha-256), so a wrong password is
# really refused. The cluster's superuser is 'postgres'; the tests' role and database are 'agno'.
# Set AGNO_REQUIRE_POSTGRES=1 to turn "no PostgreSQL here" from a skip into a failure (for CI).

Set-StrictMode -Version 3.0

$script:SuperUser = 'postgres'

# The newest /usr/lib/postgresql/<major>/bin, else the folder of pg_ctl on the PATH; $null if none.
function Find-PostgresBinDir {
    $candidates = @(Get-ChildItem -Path '/usr/lib/postgresql/*/bin' -Directory -ErrorAction Ignore |
            Where-Object { Test-Path (Join-Path $_.FullName 'pg_ctl') } |
            Sort-Object { [int] ($_.Parent.Name -replace '\D.*$', '') } -Descending)
    if ($candidates) { return $candidates[0].FullName }
    $pgCtl = Get-Command pg_ctl -CommandType Application -ErrorAction Ignore | Select-Object -First 1
    if ($pgCtl) { return Split-Path -Parent (Resolve-Path $pgCtl.Source).Path }
    $null
}

function Test-IsRoot { -not $IsWindows -and (& id -u) -eq '0' }

<#
.SYNOPSIS
    Why this machine cannot run a throwaway PostgreSQL server, or $null when it can.
.DESCRIPTION
    Cheap (no server is started): meant for Pester's discovery phase, as
    It '...' -Skip:([bool] $reason). With AGNO_REQUIRE_POSTGRES=1 a reason is thrown instead,
    so that a machine missing PostgreSQL fails the run rather than skipping its tests.
#>
function Get-AgnoTestPostgresSkipReason {
    [CmdletBinding()]
    [OutputType([string])]
    param()
    $reason = if ($IsWindows) {
        'the throwaway PostgreSQL server runs on Linux and macOS only'
    }
    elseif (-not (Find-PostgresBinDir)) {
        'no PostgreSQL binaries were found (looked in /usr/lib/postgresql/*/bin and for pg_ctl on the PATH); install PostgreSQL (on Debian: apt-get install postgresql) to run these tests'
    }
    elseif ((Test-IsRoot) -and -not (& getent passwd $script:SuperUser)) {
        "the tests run as root, PostgreSQL refuses to run as root, and there is no '$script:SuperUser' OS user to run it as"
    }
    if ($reason -and $env:AGNO_REQUIRE_POSTGRES -eq '1') {
        throw "PostgreSQL is required here (AGNO_REQUIRE_POSTGRES=1) but $reason."
    }
    $reason
}

# Runs a program to its end (bounded) with its output captured; as $OsUser when given (through
# runuser, since we are root then). Extra environment variables go to that process alone, so a
# password never lands in this process's environment, where a driver would pick it up.
function Invoke-Program {
    param(
        [Parameter(Mandatory)] [string] $FilePath,
        [string[]] $ArgumentList = @(),
        [string] $OsUser,
        [hashtable] $Environment = @{},
        [string] $InputText,
        [string] $WorkingDirectory,
        [int] $TimeoutSeconds = 120
    )
    $psi = [Diagnostics.ProcessStartInfo]::new()
    if ($OsUser) {
        $psi.FileName = 'runuser'
        foreach ($a in '-u', $OsUser, '--', $FilePath) { $psi.ArgumentList.Add($a) }
    }
    else { $psi.FileName = $FilePath }
    foreach ($a in $ArgumentList) { $psi.ArgumentList.Add($a) }
    # The caller's PG* variables (PGSSLMODE, PGOPTIONS, PGPASSWORD...) would change what psql and
    # pg_ctl do, and a translated message would break the tests that read them.
    foreach ($name in @($psi.Environment.Keys)) { if ($name -like 'PG*' -or $name -eq 'LC_ALL') { $null = $psi.Environment.Remove($name) } }
    $psi.Environment['LC_MESSAGES'] = 'C'
    $psi.Environment['PGCLIENTENCODING'] = 'UTF8'
    foreach ($name in $Environment.Keys) { $psi.Environment[$name] = [string] $Environment[$name] }
    # The user the program runs as may not be able to enter this process's current folder.
    $psi.WorkingDirectory = if ($WorkingDirectory) { $WorkingDirectory } else { '/' }
    $psi.UseShellExecute = $false
    $psi.RedirectStandardInput = $true
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $process = [Diagnostics.Process]::Start($psi)
    try {
        $stdout = $process.StandardOutput.ReadToEndAsync()
        $stderr = $process.StandardError.ReadToEndAsync()
        if ($InputText) { $process.StandardInput.Write($InputText) }
        $process.StandardInput.Close()
        if (-not $process.WaitForExit($TimeoutSeconds * 1000)) {
            $process.Kill($true)
            throw "$FilePath $($ArgumentList -join ' ') did not finish in $TimeoutSeconds s."
        }
        $process.WaitForExit()
        [pscustomobject]@{ ExitCode = $process.ExitCode; Output = $stdout.Result; Error = $stderr.Result }
    }
    finally { $process.Dispose() }
}

function Invoke-ServerProgram([pscustomobject] $Server, [string] $Name, [string[]] $ArgumentList, [string] $InputText, [switch] $AsOsUser) {
    $user = if ($AsOsUser) { $Server.OsUser } else { $null }
    $result = Invoke-Program -FilePath (Join-Path $Server.BinDir $Name) -ArgumentList $ArgumentList -OsUser $user -InputText $InputText -WorkingDirectory $Server.RootDir
    if ($result.ExitCode -ne 0) {
        $log = if (Test-Path $Server.LogPath) { (Get-Content $Server.LogPath -Tail 20) -join "`n" } else { '(no server log)' }
        throw "$Name $($ArgumentList -join ' ') failed (exit code $($result.ExitCode)): $($result.Error)$($result.Output)`nServer log ($($Server.LogPath)):`n$log"
    }
    $result.Output
}

function Get-FreeTcpPort {
    $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
    try { $listener.Start(); ([Net.IPEndPoint] $listener.LocalEndpoint).Port }
    finally { $listener.Stop() }
}

function New-ConnectionString([System.Collections.Specialized.OrderedDictionary] $Values) {
    # The builder quotes values that need it (a ';' or '=' in a password, a space in a folder).
    $builder = [Data.Common.DbConnectionStringBuilder]::new()
    foreach ($k in $Values.Keys) { $builder.Add([string] $k, [string] $Values[$k]) }
    $builder.ConnectionString
}

<#
.SYNOPSIS
    Starts a throwaway PostgreSQL server, or returns $null (with a warning saying why) where
    this machine has none.
.OUTPUTS
    An object with BinDir, Version, RootDir, DataDir, SocketDir, LogPath, Port, HostName,
    Database, UserName, Password, OsUser, Uri, ConnectionString (TCP, with the password) and
    SocketConnectionString (Host=<socket folder>, no password: the socket trusts).
#>
function Start-AgnoTestPostgres {
    [CmdletBinding()]
    param(
        # The 'agno' role's password; a random one by default. Any characters are allowed: the
        # URI percent-encodes it and the connection string quotes it.
        [string] $Password = [guid]::NewGuid().ToString('n')
    )
    $reason = Get-AgnoTestPostgresSkipReason
    if ($reason) {
        Write-Warning "No throwaway PostgreSQL server: $reason."
        return $null
    }
    $binDir = Find-PostgresBinDir
    $osUser = if (Test-IsRoot) { $script:SuperUser } else { $null }
    # A short path: a unix socket's path is limited to about 100 bytes.
    $rootDir = Join-Path ([IO.Path]::GetTempPath()) ('agno-pg-' + [guid]::NewGuid().ToString('n').Substring(0, 12))
    $null = New-Item -ItemType Directory -Path $rootDir
    $server = [pscustomobject]@{
        PSTypeName             = 'Agno.TestPostgres'
        BinDir                 = $binDir
        Version                = $null
        RootDir                = $rootDir
        DataDir                = Join-Path $rootDir 'data'
        SocketDir              = $rootDir
        LogPath                = Join-Path $rootDir 'postgres.log'
        Port                   = 0
        HostName               = '127.0.0.1'
        Database               = 'agno'
        UserName               = 'agno'
        Password               = $Password
        OsUser                 = $osUser
        Uri                    = $null
        ConnectionString       = $null
        SocketConnectionString = $null
    }
    try {
        & chmod 700 $rootDir
        if ($osUser) {
            & chown "${osUser}:" $rootDir
            $probe = Invoke-Program -FilePath 'test' -ArgumentList '-w', $rootDir -OsUser $osUser
            if ($probe.ExitCode -ne 0) {
                throw "The OS user '$osUser' cannot write to $rootDir (a parent folder is closed to it); set TMPDIR to a folder it can reach, such as /tmp."
            }
        }
        $server.Version = ((Invoke-ServerProgram $server 'postgres' '--version') -replace '^\D*', '').Trim()
        $null = Invoke-ServerProgram $server 'initdb' @('-D', $server.DataDir, '-U', $script:SuperUser, '-E', 'UTF8', '--locale=C',
            '--auth-local=trust', '--auth-host=scram-sha-256', '--no-sync') -AsOsUser

        # A free port can be taken by someone else between our probe and the server's bind: retry.
        for ($attempt = 1; ; $attempt++) {
            $server.Port = Get-FreeTcpPort
            Add-Content -LiteralPath (Join-Path $server.DataDir 'postgresql.conf') -Value @(
                "# Agno test server (later lines win)"
                "listen_addresses = '127.0.0.1'"
                "port = $($server.Port)"
                "unix_socket_directories = '$rootDir'"
                "password_encryption = 'scram-sha-256'"
            )
            $start = Invoke-Program -FilePath (Join-Path $binDir 'pg_ctl') -OsUser $osUser -WorkingDirectory $rootDir -ArgumentList @(
                'start', '-D', $server.DataDir, '-l', $server.LogPath, '-w', '-t', '60')
            if ($start.ExitCode -eq 0) { break }
            $log = if (Test-Path $server.LogPath) { Get-Content $server.LogPath -Raw } else { '' }
            if ($attempt -ge 3 -or $log -notmatch 'could not bind|Address already in use') {
                throw "pg_ctl start failed (exit code $($start.ExitCode)): $($start.Error)$($start.Output)`nServer log ($($server.LogPath)):`n$log"
            }
        }

        $quoted = $Password.Replace("'", "''")
        $null = Invoke-ServerProgram $server 'psql' @('-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', $rootDir, '-p', $server.Port, '-U', $script:SuperUser, '-d', 'postgres') -InputText @"
CREATE ROLE $($server.UserName) LOGIN PASSWORD '$quoted';
CREATE DATABASE $($server.Database) OWNER $($server.UserName);
"@
        $server.Uri = 'postgresql://{0}:{1}@{2}:{3}/{4}' -f $server.UserName, [uri]::EscapeDataString($Password), $server.HostName, $server.Port, $server.Database
        $server.ConnectionString = New-ConnectionString ([ordered]@{
                Host = $server.HostName; Port = $server.Port; Database = $server.Database; Username = $server.UserName; Password = $Password
            })
        $server.SocketConnectionString = New-ConnectionString ([ordered]@{
                Host = $rootDir; Port = $server.Port; Database = $server.Database; Username = $server.UserName
            })
        $server
    }
    catch {
        Stop-AgnoTestPostgres -Server $server
        throw
    }
}

<#
.SYNOPSIS
    The server's postmaster process id and its children's, read from postmaster.pid and the
    process table; empty when the server is not running.
#>
function Get-AgnoTestPostgresProcessId {
    [CmdletBinding()]
    [OutputType([int])]
    param([Parameter(Mandatory)] [pscustomobject] $Server)
    $pidFile = Join-Path $Server.DataDir 'postmaster.pid'
    # root reads it whoever owns it; the file is the postmaster's own record of its id.
    $first = if (Test-Path -LiteralPath $pidFile) { Get-Content -LiteralPath $pidFile -TotalCount 1 -ErrorAction Ignore }
    if (-not $first) { return }
    $postmaster = [int] $first
    if (-not (Get-Process -Id $postmaster -ErrorAction Ignore)) { return }
    $postmaster
    foreach ($line in (& ps -e -o 'pid=,ppid=')) {
        $fields = -split $line
        if ([int] $fields[1] -eq $postmaster) { [int] $fields[0] }
    }
}

<#
.SYNOPSIS
    Runs SQL with psql against the server and returns its rows (unaligned, one line each, fields
    separated by '|'); throws with psql's message when it fails.
.PARAMETER Via
    Socket: the unix socket, no password. Tcp: 127.0.0.1 and the port, with -Password (the
    server's by default) given to psql alone. Uri: the server's postgresql:// URI.
#>
function Invoke-AgnoTestPsql {
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [pscustomobject] $Server,
        [Parameter(Mandatory)] [string] $Sql,
        [ValidateSet('Socket', 'Tcp', 'Uri')] [string] $Via = 'Socket',
        [string] $UserName = $Server.UserName,
        [string] $Password = $Server.Password
    )
    # -w: never prompt for a password (a test must fail, not hang).
    $arguments = @('-X', '-A', '-t', '-w', '-v', 'ON_ERROR_STOP=1', '-c', $Sql)
    $environment = @{}
    switch ($Via) {
        'Socket' { $arguments += '-h', $Server.SocketDir, '-p', $Server.Port, '-U', $UserName, '-d', $Server.Database }
        'Tcp' { $arguments += '-h', $Server.HostName, '-p', $Server.Port, '-U', $UserName, '-d', $Server.Database; $environment.PGPASSWORD = $Password }
        'Uri' { $arguments += '-d', $Server.Uri }
    }
    $result = Invoke-Program -FilePath (Join-Path $Server.BinDir 'psql') -ArgumentList $arguments -Environment $environment -TimeoutSeconds 60
    if ($result.ExitCode -ne 0) { throw "psql ($Via) failed (exit code $($result.ExitCode)): $($result.Error.Trim())" }
    @($result.Output -split '\r?\n' | Where-Object { $_ -ne '' })
}

<#
.SYNOPSIS
    Restarts the server (pg_ctl restart -m fast): every open connection is cut, as when a
    database server restarts under a running workflow.
#>
function Restart-AgnoTestPostgres {
    [CmdletBinding()]
    param([Parameter(Mandatory)] [pscustomobject] $Server)
    $null = Invoke-ServerProgram $Server 'pg_ctl' @('restart', '-D', $Server.DataDir, '-l', $Server.LogPath, '-m', 'fast', '-w', '-t', '60') -AsOsUser
}

<#
.SYNOPSIS
    Stops the server and removes its folder; leaves no postgres process behind. Accepts $null
    (what Start-AgnoTestPostgres returns where there is no PostgreSQL), so AfterAll can always call it.
#>
function Stop-AgnoTestPostgres {
    [CmdletBinding()]
    param([AllowNull()] [pscustomobject] $Server)
    if (-not $Server) { return }
    $ids = @(Get-AgnoTestPostgresProcessId -Server $Server)
    if ($ids) {
        $stop = Invoke-Program -FilePath (Join-Path $Server.BinDir 'pg_ctl') -OsUser $Server.OsUser -WorkingDirectory $Server.RootDir -ArgumentList @(
            'stop', '-D', $Server.DataDir, '-m', 'fast', '-w', '-t', '60')
        if ($stop.ExitCode -ne 0) {
            $stop = Invoke-Program -FilePath (Join-Path $Server.BinDir 'pg_ctl') -OsUser $Server.OsUser -WorkingDirectory $Server.RootDir -ArgumentList @(
                'stop', '-D', $Server.DataDir, '-m', 'immediate', '-w', '-t', '30')
        }
        if ($stop.ExitCode -ne 0) {
            # pg_ctl could not stop it: end this server's own processes, by the ids read above.
            foreach ($id in $ids) {
                $process = Get-Process -Id $id -ErrorAction Ignore
                if ($process -and $process.ProcessName -eq 'postgres') { $process.Kill(); $null = $process.WaitForExit(10000) }
            }
        }
    }
    if (Test-Path -LiteralPath $Server.RootDir) { Remove-Item -LiteralPath $Server.RootDir -Recurse -Force }
}

Export-ModuleMember -Function Get-AgnoTestPostgresSkipReason, Start-AgnoTestPostgres, Get-AgnoTestPostgresProcessId, Invoke-AgnoTestPsql, Restart-AgnoTestPostgres, Stop-AgnoTestPostgres
