#Requires -Version 7.0
# Steps on other machines and in other processes (issue 12), against the private test sshd that
# build.ps1 test starts (two "hosts": two sshd on two ports of 127.0.0.1, serving this repo's pwsh).
# Connections are pooled per target, so the tests of this file share them: a test that spoils one
# (a kill, a drop) gets a new one. When no sshd could be had, every SSH test reports itself skipped,
# with the reason; the process tests need none. The last test removes the module and proves that no
# ssh client, remote pwsh or child pwsh outlives it.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'AgnoTestSupport.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '../Servers/Sshd.psm1') -Force
    Import-AgnoForTest

    $servers = if ($env:AGNO_TEST_SERVERS) { $env:AGNO_TEST_SERVERS | ConvertFrom-Json }
    $script:Sshd = if ($servers) { $servers.Sshd }
    $script:NoSshd = if ($script:Sshd) { $null } elseif ($servers) { 'no test sshd could be started (see the build output for why)' } else { 'no test servers were given: run through build.ps1 test, or set $env:AGNO_TEST_SERVERS' }
    if ($script:Sshd) {
        $options = @{}
        foreach ($p in $script:Sshd.Options.PSObject.Properties) { $options[$p.Name] = $p.Value }
        # How to reach each of the two hosts, as New-AgnoStep and Invoke-AgnoParallel take it (to splat).
        # The tests share connections; idle for a minute once the file is done, they close.
        $script:Remote = foreach ($port in $script:Sshd.Ports) {
            @{ HostName = $script:Sshd.HostName; Port = $port; UserName = $script:Sshd.UserName; KeyFilePath = $script:Sshd.KeyFilePath; Options = $options; IdleTimeoutSeconds = 60 }
        }
        $script:Login = @{ UserName = $script:Sshd.UserName; KeyFilePath = $script:Sshd.KeyFilePath; Options = $options; IdleTimeoutSeconds = 60 }
    }

    # The remote pwsh processes the test servers run now.
    function Get-RemotePwshId { @(Get-AgnoTestSshdProcess $Sshd -Kind pwsh).Id }

    # Waits until a remote pwsh has exited (true), or 15 s (false). It is not our child, so nothing
    # signals its exit here: the process table is read again every 100 ms, as Sshd.psm1 does.
    function Wait-RemotePwshExit([int] $Id) {
        $deadline = [DateTime]::UtcNow.AddSeconds(15)
        while ((Get-RemotePwshId) -contains $Id -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
        (Get-RemotePwshId) -notcontains $Id
    }

    # The child pwsh processes of -Isolation Process: children of this process running pwsh as a server (-s).
    function Get-ChildPwshId {
        @(Get-Process | Where-Object { $_.Parent.Id -eq $PID -and $_.CommandLine -match 'pwsh(\.dll)?\s+-s\b' }).Id
    }

    # A named pipe in a folder of its own: a remote step on this machine blocks opening it until the other end is opened.
    function New-Fifo {
        $path = Join-Path (New-TestDirectory) 'fifo'
        & mkfifo $path
        $path
    }

    # Starts reading what a step will write into a new named pipe. It is opened read-write, which on
    # Linux never waits for a writer (a read-only open would block this thread until the step runs).
    function Start-FifoRead {
        $path = New-Fifo
        $stream = [IO.FileStream]::new($path, [IO.FileMode]::Open, [IO.FileAccess]::ReadWrite)
        $buffer = [byte[]]::new(256)
        [pscustomobject]@{ Path = $path; Stream = $stream; Buffer = $buffer; Read = $stream.ReadAsync($buffer, 0, $buffer.Length) }
    }

    # What the step wrote (bounded wait).
    function Receive-FifoRead($Reading, [int] $TimeoutSeconds = 60) {
        try {
            if (-not $Reading.Read.Wait($TimeoutSeconds * 1000)) { throw "Nothing was written to $($Reading.Path) in $TimeoutSeconds s." }
            [Text.Encoding]::UTF8.GetString($Reading.Buffer, 0, $Reading.Read.Result)
        }
        finally {
            $Reading.Stream.Dispose()
        }
    }

    # A port of 127.0.0.1 where nothing listens.
    function Get-DeadPort {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
    }
}

Describe 'A step on another host over SSH' {
    BeforeEach {
        if (-not $Sshd) { Set-ItResult -Skipped -Because $NoSshd }
    }

    It 'runs there on its own copy of the session, with what it takes from the caller, and merges what it changed' {
        $session = New-AgnoSession -UserId ops -Input @{ Ticket = 'CHG-7' } -State @{ Count = 1; Gone = 'x' }
        $marker = 'from the caller'
        $Threshold = 80
        function Format-Disk([string] $Name) { "disk $Name" }
        $target = $Remote[0]
        $step = New-AgnoStep patch @target -ArgumentList 'sda' -Function Format-Disk -Variable Threshold {
            param($Disk)
            Set-AgnoState -Key Count -Value ((Get-AgnoState -Key Count) + 1)
            Remove-AgnoState -Key Gone
            Write-Verbose 'patched'
            Set-AgnoState -Key Seen -Value ([ordered]@{
                    Pid = $PID; EngineFile = [Agno.Core.AgnoState].Assembly.Location
                    SessionId = $AgnoSession.SessionId; UserId = $AgnoSession.UserId; Ticket = $AgnoSession.Input.Ticket
                    Disk = Format-Disk $Disk; Threshold = $Threshold; Using = $using:marker; Verbose = "$VerbosePreference"
                })
        }

        $verbose = Invoke-AgnoWorkflow $step -Session $session -Verbose 4>&1

        $seen = Get-AgnoState -Session $session -Key Seen
        $seen.Pid | Should -Not -Be $PID
        Get-RemotePwshId | Should -Contain $seen.Pid -Because 'the step ran in a pwsh the test sshd started'
        $seen.EngineFile | Should -BeNullOrEmpty -Because 'the engine was sent in memory, not installed or written there'
        $seen.SessionId | Should -Be $session.SessionId
        $seen.UserId | Should -Be 'ops'
        $seen.Ticket | Should -Be 'CHG-7'
        $seen.Disk | Should -Be 'disk sda'
        $seen.Threshold | Should -Be 80
        $seen.Using | Should -Be 'from the caller'
        $seen.Verbose | Should -Be 'Continue'
        Get-AgnoState -Session $session -Key Count | Should -Be 2
        $session.State.ContainsKey('Gone') | Should -BeFalse
        "$verbose" | Should -Be "[patch@$($target.HostName)] patched"
    }

    It 'keeps every type through the trip there and back, as the store does (CliXml would not)' {
        $session = New-AgnoSession -State ([ordered]@{
                Int = 42; Long = [long] 5000000000; Decimal = [decimal] 1.25
                When = [datetime]::new(2024, 3, 1, 10, 0, 0, [DateTimeKind]::Utc)
                Ordered = [ordered]@{ b = 1; a = 2 }
                List = [System.Collections.Generic.List[int]] @(1, 2)
                Object = [pscustomobject]@{ Name = 'web1'; Size = [long] 5 }
                Nested = @{ Inner = @{ Deep = [int16] 7 } }
            })
        $types = {
            param($State)
            [ordered]@{
                Int = $State.Int.GetType().FullName; Long = $State.Long.GetType().FullName; Decimal = $State.Decimal.GetType().FullName
                When = '{0} {1:o}' -f $State.When.Kind, $State.When.ToUniversalTime()
                Ordered = '{0} {1}' -f $State.Ordered.GetType().FullName, ($State.Ordered.Keys -join ',')
                List = $State.List.GetType().FullName
                Object = '{0} {1} {2}' -f $State.Object.pstypenames[0], (($State.Object.PSObject.Properties.Name) -join ','), $State.Object.Size.GetType().FullName
                Deep = $State.Nested.Inner.Deep.GetType().FullName
            }
        }
        $target = $Remote[0]
        $step = New-AgnoStep types @target -ArgumentList "$types" {
            param($TypesScript)
            $all = Get-AgnoState -AsHashtable
            Set-AgnoState -Key TypesThere -Value (& ([scriptblock]::Create($TypesScript)) $all)
            $list = Get-AgnoState -Key List -NoEnumerate; $list.Add(3); Set-AgnoState -Key List -Value $list
            $ordered = Get-AgnoState -Key Ordered; $ordered['c'] = 3; Set-AgnoState -Key Ordered -Value $ordered
            $object = Get-AgnoState -Key Object; $object.Size++; Set-AgnoState -Key Object -Value $object
            $nested = Get-AgnoState -Key Nested; $nested.Inner.Deep = [int16] 8; Set-AgnoState -Key Nested -Value $nested
            Set-AgnoState -Key Int -Value 43
            Set-AgnoState -Key When -Value (Get-AgnoState -Key When).AddDays(1)
        }

        Invoke-AgnoWorkflow $step -Session $session

        $expected = [ordered]@{
            Int = 'System.Int32'; Long = 'System.Int64'; Decimal = 'System.Decimal'
            When = 'Utc 2024-03-01T10:00:00.0000000Z'
            Ordered = 'System.Collections.Specialized.OrderedDictionary b,a'
            List = [System.Collections.Generic.List[int]].FullName
            Object = 'System.Management.Automation.PSCustomObject Name,Size System.Int64'
            Deep = 'System.Int16'
        }
        (Get-AgnoState -Session $session -Key TypesThere) | ConvertTo-Json | Should -Be ($expected | ConvertTo-Json) -Because 'the step saw the types the caller stored'
        $back = & $types (Get-AgnoState -Session $session -AsHashtable)
        $expected.When = 'Utc 2024-03-02T10:00:00.0000000Z'
        $expected.Ordered = 'System.Collections.Specialized.OrderedDictionary b,a,c'
        $back | ConvertTo-Json | Should -Be ($expected | ConvertTo-Json) -Because 'what the step changed came back as the types it set'
        Get-AgnoState -Session $session -Key List | Should -Be 1, 2, 3
        (Get-AgnoState -Session $session -Key Object).Size | Should -Be 6
        (Get-AgnoState -Session $session -Key Nested).Inner.Deep | Should -Be 8
        Get-AgnoState -Session $session -Key Int | Should -Be 43
    }

    It 'forwards every stream, tagged [step@host]' {
        $null = New-AgnoSession
        $target = $Remote[0]
        $step = New-AgnoStep talk @target {
            'out'
            Write-Warning 'w'
            Write-Verbose 'v'
            Write-Information 'i'
            Write-Host 'h'
            Write-Error 'e'
        }
        $output = Invoke-AgnoWorkflow $step -Verbose -WarningVariable warnings -InformationVariable information -ErrorVariable errors -ErrorAction SilentlyContinue 4>&1 3>$null 6>$null
        $tag = "[talk@$($target.HostName)]"
        @($output | Where-Object { $_ -is [string] }) | Should -Be 'out'
        "$(@($output | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }))" | Should -Be "$tag v"
        "$warnings" | Should -Be "$tag w"
        @($information.MessageData | ForEach-Object { "$_" }) | Should -Be 'i', 'h'
        @($information.Source | Select-Object -Unique) | Should -Be "talk@$($target.HostName)"
        $errors[0].ErrorDetails.Message | Should -Be "$tag e"
    }

    It 'runs a branch on each host, merged in the order given, the first host finishing last' {
        $null = New-AgnoSession
        $fifo = New-Fifo
        $first = $Sshd.Ports[0]
        $hosts = foreach ($port in $Sshd.Ports) { "$($Sshd.HostName):$port" }
        $run = Invoke-AgnoParallel -HostName $hosts @Login -Reducer @{ Order = 'Append' } -TimeoutSeconds 120 -PassThru {
            $port = [int] ($env:SSH_CONNECTION -split ' ')[3]
            if ($port -eq $using:first) {
                # The first host waits for the second host's branch, then has slow work of its own.
                $null = [IO.File]::ReadAllText($using:fifo)
                Start-Sleep -Seconds 1
            }
            else {
                [IO.File]::WriteAllText($using:fifo, 'done')
            }
            Set-AgnoState -Key Order -Value @($port)
            Set-AgnoState -Key Last -Value $port
            Set-AgnoState -Key "Pid$port" -Value $PID
        } | Select-RunRecord

        $branches = @($run.Steps | Where-Object Kind -EQ 'Step')
        $branches.Name | Should -Be 'Branch1', 'Branch2'
        ($branches[0].StartedAt + $branches[0].Duration) | Should -BeGreaterThan ($branches[1].StartedAt + $branches[1].Duration) -Because 'the first host finished last'
        Get-AgnoState -Key Order | Should -Be $Sshd.Ports -Because 'the branches merge in the order the hosts were given'
        Get-AgnoState -Key Last | Should -Be $Sshd.Ports[1] -Because 'LastWriteWins goes by branch order, not by who finished last'
        $pids = foreach ($port in $Sshd.Ports) { Get-AgnoState -Key "Pid$port" }
        $pids[0] | Should -Not -Be $pids[1]
    }

    It 'runs each item piped in on the one host given, $_ a typed copy, merged and (with -Ordered) written in input order' {
        $null = New-AgnoSession
        $target = $Remote[0]
        $items = [pscustomobject]@{ Name = 'a'; Size = [long] 1 }, [pscustomobject]@{ Name = 'b'; Size = [long] 2 }, [pscustomobject]@{ Name = 'c'; Size = [long] 3 }
        $output = $items | Invoke-AgnoParallel @target -ThrottleLimit 3 -Ordered -Reducer @{ Order = 'Append' } -BranchName { $_.Name } {
            if ($_.Name -eq 'a') { Start-Sleep -Milliseconds 500 } # the first item finishes last
            Set-AgnoState -Key Order -Value @($_.Name)
            Set-AgnoState -Key "Item.$($_.Name)" -Value @{ Pid = $PID; SizeType = $_.Size.GetType().Name; ItemType = $_.GetType().Name }
            "$($_.Name) $($_.Size)"
        }

        $output | Should -Be 'a 1', 'b 2', 'c 3'
        Get-AgnoState -Key Order | Should -Be 'a', 'b', 'c'
        foreach ($name in 'a', 'b', 'c') {
            $seen = Get-AgnoState -Key "Item.$name"
            Get-RemotePwshId | Should -Contain $seen.Pid -Because "item $name ran on the host"
            $seen.SizeType | Should -Be 'Int64'
            $seen.ItemType | Should -Be 'PSCustomObject' -Because '$_ went there in the typed format, not as a Deserialized bag'
        }
    }

    It 'reuses its connection for later steps and runs, and closes it once idle for -IdleTimeoutSeconds' {
        $null = New-AgnoSession
        $target = $Remote[1].Clone()
        $first = Invoke-AgnoParallel @target { $PID }
        $target.IdleTimeoutSeconds = 1
        $second = Invoke-AgnoParallel @target { $PID }
        $second | Should -Be $first -Because 'the second run was given the pooled connection'
        # Idle for a second, the connection closes, and with it the remote pwsh.
        Wait-RemotePwshExit $second | Should -BeTrue
    }

    It 'runs in a user''s PSSession, which stays open and does not echo the step''s records' {
        $script = @'
param($ModulePath, $HostName, $Port, $UserName, $KeyFilePath, $OptionsJson)
$PSStyle.OutputRendering = 'PlainText'
Import-Module $ModulePath
$options = @{}; ($OptionsJson | ConvertFrom-Json).PSObject.Properties | ForEach-Object { $options[$_.Name] = $_.Value }
$ps = New-PSSession -HostName $HostName -Port $Port -UserName $UserName -KeyFilePath $KeyFilePath -Options $options
$null = New-AgnoSession
Invoke-AgnoParallel -PSSession $ps { Write-Warning 'echo-marker'; Set-AgnoState -Key Pid -Value $PID }
$remote = Invoke-Command -Session $ps { $PID }
"pid $((Get-AgnoState -Key Pid) -eq $remote) $($ps.State)"
Remove-PSSession $ps
'@
        $lines = Invoke-ChildPwsh $script -ArgumentList $Sshd.HostName, $Sshd.Ports[0], $Sshd.UserName, $Sshd.KeyFilePath, ($Login.Options | ConvertTo-Json -Compress)
        $lines[-1] | Should -Be 'pid True Opened' -Because 'the step ran in the session, which is still the user''s and open'
        @($lines | Where-Object { $_ -match 'echo-marker' }) | Should -Be "WARNING: [Branch1@$($Sshd.HostName)] echo-marker" -Because 'the warning is shown once, tagged, not also echoed by the session''s host'
    }
}

Describe 'A remote step that fails' {
    BeforeEach {
        if (-not $Sshd) { Set-ItResult -Skipped -Because $NoSshd }
    }

    It 'names the step and the host when the host is unreachable, and when it refuses the login' {
        $null = New-AgnoSession -State @{ Value = 'before' }
        $dead = Get-DeadPort
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $unreachable = Get-ThrownError { Invoke-AgnoWorkflow (New-AgnoStep probe -HostName $Sshd.HostName -Port $dead @Login { Set-AgnoState -Key Value -Value 'after' }) }
        $refusedKey = $Remote[0].Clone()
        $refusedKey.KeyFilePath = $Sshd.RefusedKeyFilePath
        $refused = Get-ThrownError { Invoke-AgnoWorkflow (New-AgnoStep login @refusedKey { Set-AgnoState -Key Value -Value 'after' }) }
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 30

        $unreachable.FullyQualifiedErrorId | Should -BeLike 'AgnoStepFailed,*'
        $unreachable.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        $unreachable.Exception.InnerException.ErrorId | Should -Be 'AgnoRemoteUnreachable'
        $unreachable.Exception.Message | Should -BeLike "Step 'probe' failed on host '$($Sshd.HostName)' (port $dead): the host cannot be reached*Connection refused*"
        $refused.CategoryInfo.Category | Should -Be 'PermissionDenied'
        $refused.Exception.InnerException.ErrorId | Should -Be 'AgnoRemoteAuthenticationFailed'
        $refused.Exception.Message | Should -BeLike "Step 'login' failed on host '$($Sshd.HostName)' (port $($Sshd.Ports[0])): the host refused the login of user '$($Sshd.UserName)'*Permission denied*"
        foreach ($e in $unreachable, $refused) { $e.Exception.Message | Should -Not -Match ([regex]::Escape($Sshd.RefusedKeyFilePath)) -Because 'key paths never go into errors' }
        Get-AgnoState -Key Value | Should -Be 'before'
    }

    It 'stops a step past -TimeoutSeconds within seconds, keeps nothing of it, and leaves the connection clean' {
        $null = New-AgnoSession -State @{ Value = 'before' }
        $reading = Start-FifoRead
        $fifo = $reading.Path
        $target = $Remote[0]
        $null = Invoke-AgnoParallel @target { 'connected' } # the limit is the step's, connecting included: connect first
        $slow = New-AgnoStep slow @target -TimeoutSeconds 3 {
            Set-AgnoState -Key Value -Value 'during'
            [IO.File]::WriteAllText($using:fifo, "$PID")
            Start-Sleep -Seconds 120
        }
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $caught = Get-ThrownError { Invoke-AgnoWorkflow $slow }
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 10
        $caught.FullyQualifiedErrorId | Should -BeLike 'AgnoTimedOut,*'
        $caught.Exception.Message | Should -BeLike "'slow' on host '$($target.HostName)' (port $($target.Port)) exceeded its timeout of 3 s*"
        Get-AgnoState -Key Value | Should -Be 'before'
        $remotePid = [int] (Receive-FifoRead $reading 10)
        Invoke-AgnoParallel @target { $PID } | Should -Be $remotePid -Because 'the stopped pipeline left its connection usable, and it was reused'
    }

    It 'is stopped by Ctrl+C, and leaves the connection clean' {
        $session = New-AgnoSession -State @{ Value = 'before' }
        $reading = Start-FifoRead
        $fifo = $reading.Path
        $target = $Remote[0]
        $text = "Invoke-AgnoWorkflow -Session `$Session (New-AgnoStep hang -HostName '$($target.HostName)' -Port $($target.Port) -UserName '$($target.UserName)' -KeyFilePath '$($target.KeyFilePath)' -Options (ConvertFrom-Json '$($target.Options | ConvertTo-Json -Compress)' -AsHashtable) { Set-AgnoState -Key Value -Value 'during'; [IO.File]::WriteAllText('$fifo', `"`$PID`"); Start-Sleep -Seconds 120 })"
        $child = Start-ChildInvocation ([scriptblock]::Create($text)) $session ''
        try {
            $remotePid = [int] (Receive-FifoRead $reading)
            (Stop-ChildInvocation $child).TotalSeconds | Should -BeLessThan 5
        }
        finally {
            Remove-ChildInvocation $child
        }
        Get-AgnoState -Session $session -Key Value | Should -Be 'before'
        $null = New-AgnoSession
        Invoke-AgnoParallel @target { $PID } | Should -Be $remotePid -Because 'the stopped pipeline left its connection usable, and it was reused'
    }

    It 'fails with AgnoRemoteConnectionLost when <Case>, keeping nothing, and the next step connects again' -ForEach @(
        @{ Case = 'the remote pwsh is killed'; Kill = { Stop-Process -Id $PID -Force } }
        @{ Case = 'the connection drops (its sshd is killed)'; Kill = { Stop-Process -Id (Get-Process -Id $PID).Parent.Id -Force } }
    ) {
        $null = New-AgnoSession -State @{ Value = 'before' }
        $target = $Remote[0]
        $step = New-AgnoStep doomed @target -ArgumentList "$Kill" {
            param($Kill)
            Set-AgnoState -Key Value -Value 'during'
            & ([scriptblock]::Create($Kill))
            Start-Sleep -Seconds 60
        }
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $caught = Get-ThrownError { Invoke-AgnoWorkflow $step }
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 20
        $caught.Exception.InnerException.ErrorId | Should -Be 'AgnoRemoteConnectionLost'
        $caught.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        $caught.Exception.Message | Should -BeLike "Step 'doomed' failed on host '$($target.HostName)' (port $($target.Port)): the connection was lost while it ran*"
        Get-AgnoState -Key Value | Should -Be 'before'
        Invoke-AgnoParallel @target { 'again' } | Should -Be 'again'
    }

    It 'merges the hosts that succeeded under -ErrorPolicy Continue, and reports the one that failed' {
        $null = New-AgnoSession
        $dead = Get-DeadPort
        Invoke-AgnoParallel -HostName "$($Sshd.HostName):$($Sshd.Ports[0])", "$($Sshd.HostName):$dead" @Login -ErrorPolicy Continue -ErrorVariable failures -ErrorAction SilentlyContinue {
            Set-AgnoState -Key ([string] ($env:SSH_CONNECTION -split ' ')[3]) -Value 'done'
        }
        Get-AgnoState -Key "$($Sshd.Ports[0])" | Should -Be 'done'
        $failures | Should -HaveCount 1
        $failures[0].Exception.Message | Should -BeLike "Step 'Branch2' failed on host '$($Sshd.HostName)' (port $dead): the host cannot be reached*"
    }

    It 'never puts a key path or credential in the state, the store, the run record or the log' {
        $store = Join-Path (New-TestDirectory) 'remote.db'
        $session = New-AgnoSession -Store $store
        $target = $Remote[0]
        $run = Invoke-AgnoWorkflow (New-AgnoStep keyed @target { Set-AgnoState -Key Done -Value $true; Write-Verbose 'done' }) -Session $session -PassThru -Verbose 4>&1
        $log = ($run | ForEach-Object { "$_" }) -join "`n"
        $record = $run | Select-RunRecord | ConvertTo-Json -Depth 12
        $state = Get-AgnoState -Session $session -AsHashtable | ConvertTo-Json -Depth 5
        $stored = Get-StoreDump $store
        Get-AgnoState -Session $session -Key Done | Should -BeTrue
        foreach ($text in $log, $record, $state, $stored) {
            $text | Should -Not -Match ([regex]::Escape($target.KeyFilePath))
            $text | Should -Not -Match ([regex]::Escape((Split-Path -Leaf $target.KeyFilePath)))
        }
    }
}

Describe 'Steps in a child process (-Isolation Process)' {
    It 'runs each step in a child pwsh, reused by the next step, with the state''s types kept' {
        $null = New-AgnoSession -State @{ List = [System.Collections.Generic.List[int]] @(1) }
        $step = New-AgnoStep child -Isolation Process -IdleTimeoutSeconds 20 {
            $list = Get-AgnoState -Key List -NoEnumerate
            $list.Add($list.Count + 1)
            Set-AgnoState -Key List -Value $list
            Set-AgnoState -Key Where -Value "$PID $PWD"
            $PID
        }
        $first = Invoke-AgnoWorkflow $step
        $second = Invoke-AgnoWorkflow $step

        $first | Should -Not -Be $PID
        Get-ChildPwshId | Should -Contain $first
        $second | Should -Be $first -Because 'the child was kept for the next step'
        (Get-AgnoState -Key List -NoEnumerate).GetType() | Should -Be ([System.Collections.Generic.List[int]])
        Get-AgnoState -Key List | Should -Be 1, 2, 3
        Get-AgnoState -Key Where | Should -Be "$first $PWD" -Because 'a step in a child process starts where the caller is'
    }

    It 'runs parallel branches and a scriptblock reducer in child processes under Invoke-AgnoParallel -Isolation Process' {
        $null = New-AgnoSession -State @{ Total = 0 }
        Invoke-AgnoParallel -Isolation Process -IdleTimeoutSeconds 20 -Reducer @{ Total = 'Sum'; MergedBy = { param($base, $current, $incoming) $PID } } -ScriptBlock {
            Set-AgnoState -Key Total -Value 1; Set-AgnoState -Key A -Value $PID; Set-AgnoState -Key MergedBy -Value 'a'
        }, {
            Set-AgnoState -Key Total -Value 2; Set-AgnoState -Key B -Value $PID; Set-AgnoState -Key MergedBy -Value 'b'
        }
        Get-AgnoState -Key Total | Should -Be 3
        Get-AgnoState -Key A | Should -Not -Be (Get-AgnoState -Key B) -Because 'each running branch has a child of its own'
        $children = Get-ChildPwshId
        $children | Should -Contain (Get-AgnoState -Key A)
        $children | Should -Contain (Get-AgnoState -Key MergedBy) -Because 'the reducer ran in a child process too'

    }

    It 'runs items piped in, each in a child process, and retries a failed one there from a fresh copy' {
        $null = New-AgnoSession -State @{ Seen = 0 }
        $attempts = New-TemporaryFile
        1..3 | Invoke-AgnoParallel -Isolation Process -IdleTimeoutSeconds 20 -Reducer @{ Seen = 'Sum' } -RetryCount 1 {
            Set-AgnoState -Key Seen -Value 1
            Set-AgnoState -Key "Pid$_" -Value $PID
            if ($_ -eq 2 -and -not (Get-Content -LiteralPath $using:attempts)) {
                Set-Content -LiteralPath $using:attempts -Value 'failed once'
                throw 'the first attempt of item 2 fails'
            }
        }

        $children = Get-ChildPwshId
        foreach ($item in 1..3) { $children | Should -Contain (Get-AgnoState -Key "Pid$item") }
        Get-Content -LiteralPath $attempts | Should -Be 'failed once' -Because 'item 2 failed, then was retried'
        Get-AgnoState -Key Seen | Should -Be 3 -Because 'the failed attempt of item 2 left nothing, its retry one'
    }

    It 'stops the caller''s run with Stop-AgnoWorkflow in a child process, keeping what the step did before it' {
        $null = New-AgnoSession
        $stopping = New-AgnoStep stopping -Isolation Process -IdleTimeoutSeconds 20 {
            Set-AgnoState -Key Before -Value $PID
            Stop-AgnoWorkflow -Reason 'nothing left to do'
            Set-AgnoState -Key After -Value 'never'
        }
        $run = Invoke-AgnoWorkflow (New-AgnoWorkflow stopped $stopping, (New-AgnoStep next { Set-AgnoState -Key Next -Value 'never' })) -PassThru | Select-RunRecord

        $run.Status | Should -Be 'Stopped'
        $run.StopReason | Should -Be 'nothing left to do'
        Get-ChildPwshId | Should -Contain (Get-AgnoState -Key Before)
        (Get-AgnoState).Key | Should -Not -Contain 'After' -Because 'the step ended at Stop-AgnoWorkflow'
        (Get-AgnoState).Key | Should -Not -Contain 'Next' -Because 'nothing after the stop runs'
    }

    It 'fails only the step whose child exits, at once and naming the exit code, and gives the next step a fresh child' {
        $null = New-AgnoSession -State @{ Value = 'before' }
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $caught = Get-ThrownError { Invoke-AgnoWorkflow (New-AgnoStep risky -Isolation Process -IdleTimeoutSeconds 20 { Set-AgnoState -Key Value -Value 'during'; [Environment]::Exit(3) }) }
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 20 -Because 'the exit is noticed at once, not after the minute PowerShell takes'
        $caught.FullyQualifiedErrorId | Should -BeLike 'AgnoStepFailed,*'
        $caught.Exception.InnerException.ErrorId | Should -Be 'AgnoProcessExited'
        $caught.Exception.Message | Should -BeLike "Step 'risky' failed in a child process: its child process (pid *) exited with code 3 while it ran*"
        $crashed = [int] ($caught.Exception.Message -replace '^.*\(pid (\d+)\).*$', '$1')
        Get-AgnoState -Key Value | Should -Be 'before'
        $next = Invoke-AgnoWorkflow (New-AgnoStep fine -Isolation Process -IdleTimeoutSeconds 20 { $PID })
        $next | Should -Not -Be $crashed
        Get-Process -Id $crashed -ErrorAction Ignore | Should -BeNullOrEmpty
    }
}

Describe 'Where a step runs: parameters that do not go together' {
    It 'refuses <Case>' -ForEach @(
        @{ Case = '-UserName without -HostName'; Command = { New-AgnoStep s -UserName ops { 1 } }; Id = 'AgnoInvalidArgument' }
        @{ Case = 'two hosts for one step'; Command = { New-AgnoStep s -HostName web1, web2 { 1 } }; Id = 'AgnoInvalidArgument' }
        @{ Case = '-Isolation with -HostName'; Command = { New-AgnoStep s -HostName web1 -Isolation Process { 1 } }; Id = 'AgnoInvalidArgument' }
        @{ Case = 'a port that is not a number'; Command = { New-AgnoStep s -HostName 'ops@web1:ssh' { 1 } }; Id = 'AgnoInvalidArgument' }
        @{ Case = 'a key file that does not exist'; Command = { New-AgnoStep s -HostName web1 -KeyFilePath (Join-Path $TestDrive 'missing_key') { 1 } }; Id = 'AgnoKeyFileNotFound' }
        @{ Case = '-IdleTimeoutSeconds for steps in this process'; Command = { Invoke-AgnoParallel -IdleTimeoutSeconds 5 { 1 } }; Id = 'AgnoInvalidArgument' }
        @{ Case = '-HostName with -Step'; Command = { Invoke-AgnoParallel -HostName web1 -Step (New-AgnoStep s { 1 }) }; Id = 'AgnoInvalidArgument' }
        @{ Case = 'two hosts for items piped in'; Command = { 1, 2 | Invoke-AgnoParallel -HostName web1, web2 { $_ } }; Id = 'AgnoInvalidArgument' }
    ) {
        $null = New-AgnoSession
        $ErrorActionPreference = 'Stop'
        $caught = Get-ThrownError $Command
        $caught.FullyQualifiedErrorId | Should -BeLike "$Id,*"
    }
}

Describe 'Remove-Module Agno' {
    It 'closes every connection and child process it opened' {
        if (-not $Sshd) { Set-ItResult -Skipped -Because $NoSshd; return }
        # In a pwsh of its own, where nothing else imported the module: removing it is the last removal.
        $script = @'
param($ModulePath, $TargetJson)
Import-Module $ModulePath
$target = $TargetJson | ConvertFrom-Json -AsHashtable
$null = New-AgnoSession
$remote = Invoke-AgnoParallel @target { $PID }
$child = Invoke-AgnoParallel -Isolation Process { $PID }
function Get-Children { @(Get-Process | Where-Object { $_.Parent.Id -eq $PID -and -not $_.HasExited } | ForEach-Object { "$($_.Id):$($_.ProcessName)" }) }
$before = Get-Children
Remove-Module Agno
"$remote $child"
"before: $before"
"after: $(Get-Children)"
'@
        $target = $Remote[0].Clone()
        $target.Remove('IdleTimeoutSeconds')
        $lines = Invoke-ChildPwsh $script -ArgumentList ($target | ConvertTo-Json -Compress)
        $remote, $child = [int[]] ($lines[-3] -split ' ')
        $lines[-2] | Should -Match ':ssh\b' -Because 'the connection was open'
        $lines[-2] | Should -Match "\b$($child):" -Because 'the child process ran'
        $lines[-1] | Should -Be 'after: ' -Because 'no ssh client or child pwsh outlived the removal'
        Wait-RemotePwshExit $remote | Should -BeTrue -Because 'the remote pwsh ended with its connection'
    }
}
