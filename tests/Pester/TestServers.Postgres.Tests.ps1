#Requires -Version 7.0
# The throwaway PostgreSQL server that the store's tests run against (tests/Servers/Postgres.psm1):
# started from the machine's binaries, reached over its unix socket and over TCP with a password,
# restarted under an open connection, stopped with nothing left behind. Where the machine has no
# PostgreSQL, every test here is reported skipped with the reason (a warning says it too).

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot '../Servers/Postgres.psm1') -Force
    $noPostgres = Get-AgnoTestPostgresSkipReason
    if ($noPostgres) { Write-Warning "The PostgreSQL tests are skipped: $noPostgres." }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../Servers/Postgres.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'AgnoTestSupport.psm1') -Force

    # The ids among these that still name a running process (a zombie has ended: it only waits
    # for its new parent to collect its exit status).
    function Select-LiveProcessId([int[]] $Id) {
        foreach ($i in $Id) {
            $stat = "/proc/$i/stat"
            $state = if (Test-Path $stat) { ((Get-Content $stat -Raw -ErrorAction Ignore) -replace '^.*\)\s+', '').Substring(0, 1) }
            if ($state -and $state -ne 'Z') { $i }
        }
    }

    # A keyword connection string's fields, as a case-insensitive hashtable. (Through PowerShell's
    # dictionary adapter, '$builder.ConnectionString = ...' would add a key named ConnectionString.)
    function ConvertFrom-ConnectionString([string] $ConnectionString) {
        $builder = [Data.Common.DbConnectionStringBuilder]::new()
        $builder.set_ConnectionString($ConnectionString)
        $fields = @{}
        foreach ($key in $builder.Keys) { $fields[$key] = $builder.get_Item($key) }
        $fields
    }

    function Test-TcpPortOpen([int] $Port) {
        $client = [Net.Sockets.TcpClient]::new()
        try { $client.Connect('127.0.0.1', $Port); $true }
        catch [Net.Sockets.SocketException] { $false }
        finally { $client.Dispose() }
    }
}

Describe 'A throwaway PostgreSQL server for the tests' -Skip:([bool] $noPostgres) {
    BeforeAll {
        $server = Start-AgnoTestPostgres
    }
    AfterAll {
        Stop-AgnoTestPostgres $server
    }

    It 'runs the newest PostgreSQL of the machine from a temp folder, its socket in that folder and 127.0.0.1 on a free port' {
        $newest = Get-ChildItem '/usr/lib/postgresql/*/bin' -Directory -ErrorAction Ignore |
            Sort-Object { [int] ($_.Parent.Name -replace '\D.*$', '') } -Descending | Select-Object -First 1
        if ($newest) { $server.BinDir | Should -Be $newest.FullName } else { $server.BinDir | Should -Exist }
        $server.Version | Should -Match '^\d+\.\d+'
        Invoke-AgnoTestPsql $server 'show server_version' | Should -Be $server.Version
        $server.DataDir | Should -BeLike "$($server.RootDir)*"
        Join-Path $server.SocketDir ".s.PGSQL.$($server.Port)" | Should -Exist
        Test-TcpPortOpen $server.Port | Should -BeTrue
        Invoke-AgnoTestPsql $server "select setting from pg_settings where name = 'listen_addresses'" | Should -Be '127.0.0.1'
        @(Get-AgnoTestPostgresProcessId $server).Count | Should -BeGreaterThan 1
    }

    It 'runs the server as the postgres OS user when the tests run as root (PostgreSQL refuses root)' {
        if ((& id -u) -ne '0') { Set-ItResult -Skipped -Because 'the tests do not run as root here'; return }
        $server.OsUser | Should -Be 'postgres'
        $postmaster = @(Get-AgnoTestPostgresProcessId $server)[0]
        (& ps -o 'user=' -p $postmaster).Trim() | Should -Be 'postgres'
    }

    It 'lets the tests (root) in through the unix socket by user name, without a password' {
        Invoke-AgnoTestPsql $server 'select current_user, current_database(), inet_server_port() is null' -Via Socket -Password '' |
            Should -Be 'agno|agno|t'
    }

    It 'takes the agno role with its password over TCP, from the keyword fields and from the URI' {
        Invoke-AgnoTestPsql $server 'select current_user, current_database(), inet_server_port()' -Via Tcp |
            Should -Be "agno|agno|$($server.Port)"
        Invoke-AgnoTestPsql $server 'select current_user, inet_server_addr()' -Via Uri | Should -Be 'agno|127.0.0.1'
    }

    It 'describes itself with a URI and keyword connection strings for TCP and for the socket' {
        $server.Uri | Should -Be "postgresql://agno:$($server.Password)@127.0.0.1:$($server.Port)/agno"
        $tcp = ConvertFrom-ConnectionString $server.ConnectionString
        $tcp.Host, $tcp.Port, $tcp.Database, $tcp.Username, $tcp.Password |
            Should -Be @('127.0.0.1', "$($server.Port)", 'agno', 'agno', $server.Password)
        $socket = ConvertFrom-ConnectionString $server.SocketConnectionString
        $socket.Host, $socket.Port, $socket.ContainsKey('Password') | Should -Be @($server.SocketDir, "$($server.Port)", $false)
    }

    It 'runs psql apart from the caller''s PG* variables and locale (a test''s PGSSLMODE or PGPASSWORD changes nothing)' {
        $saved = $env:PGSSLMODE, $env:PGPASSWORD, $env:LC_ALL
        try {
            $env:PGSSLMODE = 'require'; $env:PGPASSWORD = 'not-the-password'; $env:LC_ALL = 'de_DE.UTF-8'
            Invoke-AgnoTestPsql $server "select current_user, 'ü'" -Via Tcp | Should -Be 'agno|ü'
        }
        finally { $env:PGSSLMODE, $env:PGPASSWORD, $env:LC_ALL = $saved }
    }

    It 'refuses a wrong password over TCP, naming the user' {
        $err = Get-ThrownError { Invoke-AgnoTestPsql $server 'select 1' -Via Tcp -Password 'not-the-password' }
        $err | Should -Not -BeNullOrEmpty
        $err.Exception.Message | Should -Match 'password authentication failed for user "agno"'
    }

    It 'restarts: an open connection is cut, the postmaster is a new process, and both ways in work again' {
        $before = @(Get-AgnoTestPostgresProcessId $server)
        $startedBefore = [double] (Invoke-AgnoTestPsql $server 'select extract(epoch from pg_postmaster_start_time())')
        # A client in the middle of a statement: it says 'ready' once connected, then waits in the server.
        $psi = [Diagnostics.ProcessStartInfo]::new((Join-Path $server.BinDir 'psql'))
        foreach ($a in '-X', '-A', '-t', '-h', $server.SocketDir, '-p', $server.Port, '-U', 'agno', '-d', 'agno', '-c', "select 'ready'", '-c', 'select pg_sleep(120)') {
            $psi.ArgumentList.Add($a)
        }
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $client = [Diagnostics.Process]::Start($psi)
        try {
            $line = $client.StandardOutput.ReadLineAsync()
            $line.Wait(30000) | Should -BeTrue
            $line.Result | Should -Be 'ready'
            $clientError = $client.StandardError.ReadToEndAsync()

            Restart-AgnoTestPostgres $server

            $client.WaitForExit(30000) | Should -BeTrue
            $client.ExitCode | Should -Not -Be 0
            $clientError.Result | Should -Match 'terminating connection due to administrator command|server closed the connection'
        }
        finally {
            if (-not $client.HasExited) { $client.Kill() }
            $client.Dispose()
        }
        $after = @(Get-AgnoTestPostgresProcessId $server)
        $after[0] | Should -Not -Be $before[0]
        @(Select-LiveProcessId $before) | Should -BeNullOrEmpty
        [double] (Invoke-AgnoTestPsql $server 'select extract(epoch from pg_postmaster_start_time())') | Should -BeGreaterThan $startedBefore
        Invoke-AgnoTestPsql $server 'select current_user' -Via Tcp | Should -Be 'agno'
    }
}

Describe 'A throwaway PostgreSQL server with an awkward password' -Skip:([bool] $noPostgres) {
    BeforeAll {
        $password = "p@ss:w/o rd;'`"=%x"
        $server = Start-AgnoTestPostgres -Password $password
    }
    AfterAll {
        Stop-AgnoTestPostgres $server
    }

    It 'percent-encodes the password in the URI and quotes it in the connection string, and both work' {
        $server.Uri | Should -BeLike 'postgresql://agno:p%40ss%3Aw%2Fo%20rd%3B%27%22%3D%25x@127.0.0.1:*/agno'
        Invoke-AgnoTestPsql $server 'select current_user' -Via Uri | Should -Be 'agno'
        $fromString = (ConvertFrom-ConnectionString $server.ConnectionString).Password
        $fromString | Should -BeExactly $password
        Invoke-AgnoTestPsql $server 'select current_user' -Via Tcp -Password $fromString | Should -Be 'agno'
    }

    It 'stops: no process of the server is left, its port and socket are closed, its folder is gone' {
        $ids = @(Get-AgnoTestPostgresProcessId $server)
        $ids.Count | Should -BeGreaterThan 1

        Stop-AgnoTestPostgres $server

        @(Select-LiveProcessId $ids) | Should -BeNullOrEmpty
        Test-TcpPortOpen $server.Port | Should -BeFalse
        $server.RootDir | Should -Not -Exist
        # Stopping again (AfterAll does) is harmless.
        { Stop-AgnoTestPostgres $server } | Should -Not -Throw
    }
}

Describe 'A machine without PostgreSQL' {
    BeforeAll {
        Mock -ModuleName Postgres Find-PostgresBinDir { $null }
        $required = $env:AGNO_REQUIRE_POSTGRES
    }
    AfterEach {
        $env:AGNO_REQUIRE_POSTGRES = $required
    }

    It 'gives the reason to skip, and Start-AgnoTestPostgres returns $null with that reason as a warning' {
        $env:AGNO_REQUIRE_POSTGRES = $null
        Get-AgnoTestPostgresSkipReason | Should -Match 'no PostgreSQL binaries were found .*install PostgreSQL'
        $server = Start-AgnoTestPostgres -WarningVariable warnings -WarningAction SilentlyContinue
        $server | Should -BeNullOrEmpty
        "$warnings" | Should -Match 'No throwaway PostgreSQL server: no PostgreSQL binaries were found'
    }

    It 'fails instead of skipping when AGNO_REQUIRE_POSTGRES=1 (so CI cannot pass without running them)' {
        $env:AGNO_REQUIRE_POSTGRES = '1'
        { Get-AgnoTestPostgresSkipReason } | Should -Throw '*PostgreSQL is required here (AGNO_REQUIRE_POSTGRES=1) but no PostgreSQL binaries were found*'
        { Start-AgnoTestPostgres -WarningAction SilentlyContinue } | Should -Throw '*AGNO_REQUIRE_POSTGRES=1*'
    }
}
