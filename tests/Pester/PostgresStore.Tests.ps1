#Requires -Version 7.0
# A session shared by several machines (issue 13): the PostgreSQL store as users write it (URIs,
# keyword strings, $env:AGNO_STORE, PGPASSWORD and ~/.pgpass) and its faults: a server restarting
# or down under a running workflow, a refused connection, a wrong password, and a password that
# must never show. The contract itself (what the SQLite store does, this one does) runs in
# Store.Tests.ps1 and StoreProcesses.Tests.ps1 against both stores, with issue 13's many machines
# there: eight processes setting 200 keys each, four adding to a Sum key 100 times each.
# Everything here uses the server build.ps1 test started; no sleep synchronises anything: children
# say what they are doing on stdout and wait for a line on stdin.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'AgnoTestSupport.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '../Servers/Postgres.psm1') -Force
    Import-AgnoForTest
    $server = Get-AgnoTestPostgres
}

Describe 'The PostgreSQL store' {
    BeforeEach {
        if ($noServer = Get-TestStoreSkipReason 'PostgreSQL') { Set-ItResult -Skipped -Because $noServer }
        $store = New-TestStore 'PostgreSQL'
    }

    Context 'As users write it' {
        It 'takes a URI in $env:AGNO_STORE with the password in PGPASSWORD, a socket folder as Host, and pipes Get-AgnoSession to Remove-AgnoSession' {
            $uri = ConvertTo-TestStoreUri $store -NoPassword
            $socket = $store -replace 'Host=[^;]+', "Host=$($server.SocketDir)" -replace ';?Password=[^;]+', ''
            $seen = Complete-Child (Start-ChildPwsh -ArgumentList $socket -Environment @{ AGNO_STORE = $uri; PGPASSWORD = $server.Password } -Script @'
param($ModulePath, $Socket)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$s = New-AgnoSession -SessionId nightly -UserId ops
Set-AgnoState -Session $s -Key count -Value 42
$other = New-AgnoSession -SessionId other -UserId ops -Store $Socket
"socket=$((Get-AgnoState -Session (New-AgnoSession -SessionId NIGHTLY -UserId ops -Store $Socket) -Key count).GetType().Name)"
"listed=$((Get-AgnoSession -Store $env:AGNO_STORE -UserId ops).SessionId -join ',')"
"store=$((Get-AgnoSession -Store $env:AGNO_STORE -SessionId nightly).Store)"
Get-AgnoSession -Store $env:AGNO_STORE -UserId ops | Remove-AgnoSession -Confirm:$false
"after=$(@(Get-AgnoSession -Store $Socket).Count)"
'@)
            $seen.socket | Should -Be 'Int32'
            $seen.listed | Should -Be 'nightly,other'
            $seen.store | Should -BeLike "postgresql://agno@127.0.0.1:$($server.Port)/agno?options=*"
            $seen.after | Should -Be '0'
        }

        It 'finds the password in ~/.pgpass' {
            $home_ = New-TestDirectory
            $pgpass = Join-Path $home_ '.pgpass'
            Set-Content -LiteralPath $pgpass -Value "127.0.0.1:$($server.Port):agno:agno:$($server.Password -replace '([:\\])', '\$1')"
            & chmod 600 $pgpass
            $seen = Complete-Child (Start-ChildPwsh -ArgumentList (ConvertTo-TestStoreUri $store -NoPassword) -Environment @{ HOME = $home_; PGPASSWORD = $null } -Script @'
param($ModulePath, $Store)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
Set-AgnoState -Session (New-AgnoSession -SessionId s -Store $Store) -Key k -Value 'from pgpass'
"k=$(Get-AgnoState -Session (New-AgnoSession -SessionId s -Store $Store) -Key k)"
'@)
            $seen.k | Should -Be 'from pgpass'
        }

        It 'takes a password with every awkward character, percent-encoded in a URI and quoted in a keyword string' {
            $role = 'r_' + [guid]::NewGuid().ToString('n').Substring(0, 8)
            $awkward = "p@ss:w/o rd;'`"=%x+y#?&"
            $superuser = "Host=$($server.SocketDir);Port=$($server.Port);Database=agno;Username=postgres" # the socket trusts its users
            $null = Invoke-PostgresQuery $superuser "CREATE ROLE $role LOGIN PASSWORD '$($awkward.Replace("'", "''"))'"
            $schema = ((New-Object Data.Common.DbConnectionStringBuilder -Property @{ ConnectionString = $store }))['Search Path']
            $null = Invoke-PostgresQuery $superuser "GRANT ALL ON SCHEMA $schema TO $role"
            $uri = 'postgresql://{0}:{1}@127.0.0.1:{2}/agno?options={3}' -f $role, [uri]::EscapeDataString($awkward), $server.Port, [uri]::EscapeDataString("-c search_path=$schema")
            $quoted = '"' + $awkward.Replace('"', '""') + '"' # (inside "…" a '""' would collapse to one quote)
            $keywords = "Host=127.0.0.1;Port=$($server.Port);Database=agno;Username=$role;Search Path=$schema;Password=$quoted"

            Set-AgnoState -Session (New-AgnoSession -SessionId awkward -Store $uri) -Key k -Value 1
            Get-AgnoState -Session (New-AgnoSession -SessionId awkward -Store $keywords) -Key k | Should -Be 1
        }
    }

    Context 'Faults' {
        It 'rides out a server restart between steps, fails a step cleanly with AgnoStoreUnavailable while the server is down, and -Resume commits every step exactly once' {
            $child = Start-ChildPwsh -ArgumentList $store -Script @'
param($ModulePath, $Store)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$session = New-AgnoSession -SessionId restart -Store $Store
$steps = foreach ($name in 'one', 'two', 'three', 'four') {
    New-AgnoStep $name {
        param($name)
        [Console]::Out.WriteLine("in=$name")
        $null = [Console]::In.ReadLine() # the test restarts or stops the server here
        Set-AgnoState -Key "ran_$name" -Value ([int](Get-AgnoState -AsHashtable)["ran_$name"] + 1)
    } -ArgumentList $name
}
$nightly = New-AgnoWorkflow 'nightly' -Step $steps
try { Invoke-AgnoWorkflow $nightly -Session $session; [Console]::Out.WriteLine('error=none') }
catch { [Console]::Out.WriteLine("error=$($_.FullyQualifiedErrorId)|$($_.CategoryInfo.Category)|$($_.Exception.Message)") }
$null = [Console]::In.ReadLine() # the server is back
$run = Invoke-AgnoWorkflow $nightly -Session $session -Resume -PassThru | Where-Object { $_ -is [Agno.Core.RunRecord] }
"steps=$(@($run.Steps).Status -join ',')"
"ran=$((Get-AgnoState -Session $session -Key ran_* | ForEach-Object { "$($_.Key):$($_.Value)" }) -join ',')"
'@
            try {
                $step = { param($name) Read-ChildLine $child | Should -Be "in=$name" }
                & $step one
                $child.StandardInput.WriteLine('go')
                & $step two
                Restart-AgnoTestPostgres $server # every pooled connection dies: step two's commit meets a dead one
                $child.StandardInput.WriteLine('go')
                & $step three
                Suspend-AgnoTestPostgres $server
                try {
                    $child.StandardInput.WriteLine('go')
                    $failure = Read-ChildLine $child -TimeoutSeconds 90
                }
                finally { Resume-AgnoTestPostgres $server }
                $failure | Should -BeLike "error=AgnoStoreUnavailable,Agno.Commands.InvokeAgnoWorkflowCommand|ResourceUnavailable|*127.0.0.1:$($server.Port)*"
                $failure | Should -Not -BeLike "*$($server.Password)*"
                $child.StandardInput.WriteLine('resume')
                & $step three
                $child.StandardInput.WriteLine('go')
                & $step four
                $seen = Complete-Child $child
            }
            finally { Stop-ChildPwsh $child }
            $seen.steps | Should -Be 'Skipped,Skipped,Completed,Completed'
            $seen.ran | Should -Be 'ran_four:1,ran_one:1,ran_three:1,ran_two:1'
            $runs = @(Get-AgnoRun -Store $store -SessionId restart)
            $runs.Count | Should -Be 1
            $runs[0].Status | Should -Be 'Completed'
        }

        It 'fails within seconds with AgnoStoreUnavailable naming host and port when the connection is refused' {
            $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
            $listener.Start()
            $port = $listener.LocalEndpoint.Port
            $listener.Stop()
            $refused = $store -replace "Port=$($server.Port)", "Port=$port"
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $e = Get-ThrownError { New-AgnoSession -SessionId s -Store $refused }
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 5
            $e.FullyQualifiedErrorId | Should -Be 'AgnoStoreUnavailable,Agno.Commands.NewAgnoSessionCommand'
            $e.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
            $e.Exception.Message | Should -BeLike "*127.0.0.1:$port*refused*"
            "$e" | Should -Not -BeLike "*$($server.Password)*"
        }

        It 'refuses a wrong password with AgnoStoreAuthenticationFailed, and a missing database with AgnoStoreDatabaseNotFound' {
            $e = Get-ThrownError { New-AgnoSession -Store ($store -replace 'Password=[^;]+', 'Password=wrong-one') }
            $e.FullyQualifiedErrorId | Should -Be 'AgnoStoreAuthenticationFailed,Agno.Commands.NewAgnoSessionCommand'
            $e.CategoryInfo.Category | Should -Be 'PermissionDenied'
            $e.Exception.Message | Should -BeLike "*127.0.0.1:$($server.Port)*user 'agno'*PGPASSWORD*"
            $e.Exception.Message | Should -Not -BeLike '*wrong-one*'
            $e = Get-ThrownError { Get-AgnoSession -Store ($store -replace 'Database=agno', 'Database=nosuchdb') }
            $e.FullyQualifiedErrorId | Should -Be 'AgnoStoreDatabaseNotFound,Agno.Commands.GetAgnoSessionCommand'
            $e.CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $e = Get-ThrownError { Get-AgnoSession -Store $store }
            $e.FullyQualifiedErrorId | Should -Be 'AgnoStoreNotFound,Agno.Commands.GetAgnoSessionCommand' -Because 'listing never creates a store'
            $e = Get-ThrownError { New-AgnoSession -Store 'postgresql://agno:s3cr3t%zz@db1/agno' }
            $e.FullyQualifiedErrorId | Should -Be 'AgnoStoreConnectionInvalid,Agno.Commands.NewAgnoSessionCommand'
            $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $e.Exception.Message | Should -Not -BeLike '*s3cr3t*'
        }

        It 'shows the password in no error, warning, verbose message, run record, session or stored row' {
            $uri = ConvertTo-TestStoreUri $store
            $password = $server.Password
            $said = [Collections.Generic.List[string]]::new()
            $session = New-AgnoSession -SessionId secretive -Store $uri -Reducer @{ n = 'Sum' }
            Set-AgnoState -Session $session -Key n -Value 1
            $other = New-AgnoSession -SessionId secretive -Store $uri
            Set-AgnoState -Session $other -Key n -Value 5
            Set-AgnoState -Session $session -Key n -Value 2 -WarningVariable w 3>$null # a conflict with the other's commit
            $said.AddRange([string[]] @($w | ForEach-Object Message))
            $w | Should -Not -BeNullOrEmpty
            $failing = New-AgnoWorkflow 'leaky' -Step (New-AgnoStep 'boom' { throw "failed on purpose" })
            $e = Get-ThrownError { Invoke-AgnoWorkflow $failing -Session $session }
            $said.Add("$e"); $said.Add(($e | Format-List * -Force | Out-String))
            foreach ($bad in ($uri -replace '127\.0\.0\.1:\d+', '127.0.0.1:1'), ($uri -replace '@', 'x@'), ($uri -replace 'agno\?', 'nosuchdb?')) {
                $e = Get-ThrownError { New-AgnoSession -Store $bad }
                $e | Should -Not -BeNullOrEmpty
                $said.Add("$e"); $said.Add(($e | Format-List * -Force | Out-String)); $said.Add("$($e.Exception.InnerException)")
            }
            $said.Add((Optimize-AgnoStore -Store $uri -Verbose 4>&1 | Out-String))
            $said.Add((Get-AgnoSession -Store $uri | Format-List * | Out-String))
            $said.Add((Get-AgnoRun -Store $uri -SessionId secretive | ConvertTo-Json -Depth 12 -WarningAction SilentlyContinue))
            $said.Add(($session | Format-List * -Force | Out-String))
            $said.Add("$session")
            $said.Add((Get-StoreDump $store))

            $leaks = @($said | Where-Object { $_ -and $_.Contains($password) })
            $leaks | Should -BeNullOrEmpty
            ($said -join "`n") | Should -BeLike '*AgnoStoreConflict*'
            ($said -join "`n") | Should -BeLike '*127.0.0.1:1*'
        }

        It 'releases its connections when the module is removed' {
            $app = 'agno-release-' + [guid]::NewGuid().ToString('n').Substring(0, 8)
            $child = Start-ChildPwsh -ArgumentList "$store;Application Name=$app" -Script @'
param($ModulePath, $Store)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$session = New-AgnoSession -SessionId pooled -Store $Store
Invoke-AgnoParallel -Session $session -ScriptBlock { Set-AgnoState -Key a -Value 1 }, { Set-AgnoState -Key b -Value 2 }
[Console]::Out.WriteLine('ready')
$null = [Console]::In.ReadLine()
Remove-Module Agno
[Console]::Out.WriteLine('removed')
$null = [Console]::In.ReadLine()
'@
            $count = { [int] (Invoke-PostgresQuery $server.ConnectionString 'SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1' $app).n }
            try {
                Wait-ChildReady $child
                & $count | Should -BeGreaterThan 0
                $child.StandardInput.WriteLine('go')
                Read-ChildLine $child | Should -Be 'removed'
                # The server forgets a connection once its backend has exited, just after the close: a bounded poll.
                $deadline = [DateTime]::UtcNow.AddSeconds(10)
                while ((& $count) -gt 0 -and [DateTime]::UtcNow -lt $deadline) { $null = $child.WaitForExit(50) }
                & $count | Should -Be 0
                $child.HasExited | Should -BeFalse -Because 'the process still runs; only the module let go'
                $null = Complete-Child $child
            }
            finally { Stop-ChildPwsh $child }
        }

        It 'prunes removals and vacuums with Optimize-AgnoStore, and a session object that had not looked since reloads' {
            $keeper = New-AgnoSession -SessionId keep -Store $store -State @{ a = 1; gone = 1 }
            $null = Get-AgnoState -Session $keeper -Key a
            Remove-AgnoState -Session (New-AgnoSession -SessionId keep -Store $store) -Key gone -Confirm:$false
            (Invoke-PostgresQuery $store 'SELECT count(*) AS n FROM agno_state WHERE value IS NULL').n | Should -Be 1

            Optimize-AgnoStore -Store $store -Verbose 4>&1 | Select-Object -Last 1 | Should -BeLike "*bytes before*after*"

            (Invoke-PostgresQuery $store 'SELECT count(*) AS n FROM agno_state WHERE value IS NULL').n | Should -Be 0
            (Get-AgnoState -Session $keeper).Key | Should -Be @('a')
        }
    }
}
