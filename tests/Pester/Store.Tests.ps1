#Requires -Version 7.0
# Durable sessions (issue 4), driven as a user drives them: stores shared by separate pwsh
# processes, a child killed with SIGKILL in the middle of a step, concurrent writers, and the
# store's refusals. StoreProcesses.Tests.ps1 holds issue 10's (no lost update, conflicts, ids,
# history, store paths). Every test has its own store file under its own directory of $TestDrive.
# No Start-Sleep synchronises anything here: children report readiness on stdout, wait for a
# line on stdin, or create a marker file that the test polls for with a bounded loop.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'AgnoTestSupport.psm1') -Force
    Import-AgnoForTest
    Initialize-TestSqlite
}

Describe 'Durable sessions: the SQLite store' {
    BeforeEach {
        $dir = (New-Item -ItemType Directory -Path (Join-Path $TestDrive ([guid]::NewGuid().ToString('n')))).FullName
        $store = Join-Path $dir 'agno.db'
    }

    Context 'A stored session across processes' {
        It 'reads in this process, with their types, the values another pwsh process set' {
            $null = Invoke-ChildPwsh -ArgumentList $store -Script @'
param($ModulePath, $Store)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$s = New-AgnoSession -SessionId typed -UserId ann -Input 'nightly' -Store $Store
Set-AgnoState -Session $s -Key count -Value 42
Set-AgnoState -Session $s -Key big -Value 9000000000
Set-AgnoState -Session $s -Key ratio -Value 0.1
Set-AgnoState -Session $s -Key price -Value 19.99d
Set-AgnoState -Session $s -Key when -Value ([datetime]::new(2024, 2, 29, 13, 45, 10, [DateTimeKind]::Utc).AddTicks(1234567))
Set-AgnoState -Session $s -Key user -Value @{ Name = 'Ann'; Age = 7 }
Set-AgnoState -Session $s -Key ordered -Value ([ordered]@{ zulu = 1; alpha = 2; mike = 3; bravo = 4 })
Set-AgnoState -Session $s -Key person -Value ([pscustomobject]@{ Zeta = 1; Alpha = 'x'; Mid = $null; Beta = $true })
Set-AgnoState -Session $s -Key mixed -Value @(1, 'two', 3.5)
Set-AgnoState -Session $s -Key ints -Value ([int[]](1, 2, 3))
Set-AgnoState -Session $s -Key empty -Value @()
Set-AgnoState -Session $s -Key single -Value @(7)
Set-AgnoState -Session $s -Key nested -Value @{
    user = [pscustomobject]@{ Name = 'Ann'; Tags = @('a', 'b'); Prefs = [ordered]@{ z = 1; a = 2 } }
    ids  = [System.Collections.Generic.List[int]]@(10, 20)
    at   = [datetime]::new(2025, 1, 2, 3, 4, 5, [DateTimeKind]::Utc)
}
'@

            $s = New-AgnoSession -SessionId typed -UserId ann -Store $store
            $s.UserId | Should -Be 'ann'
            $s.Input | Should -Be 'nightly'

            $count = Get-AgnoState -Session $s -Key count
            $count | Should -BeOfType [int]
            $count | Should -Be 42
            Get-AgnoState -Session $s -Key big | Should -BeOfType [long]
            Get-AgnoState -Session $s -Key ratio | Should -BeOfType [double]
            Get-AgnoState -Session $s -Key ratio | Should -Be 0.1
            Get-AgnoState -Session $s -Key price | Should -BeOfType [decimal]
            Get-AgnoState -Session $s -Key price | Should -Be 19.99d

            $when = Get-AgnoState -Session $s -Key when
            $when | Should -BeOfType [datetime]
            $when.Kind | Should -Be ([DateTimeKind]::Utc)
            $when.Ticks | Should -Be ([datetime]::new(2024, 2, 29, 13, 45, 10, [DateTimeKind]::Utc).AddTicks(1234567).Ticks)

            $user = Get-AgnoState -Session $s -Key user
            $user | Should -BeOfType [hashtable]
            $user['NAME'] | Should -Be 'Ann'
            $user.ContainsKey('age') | Should -BeTrue
            $user['AGE'] | Should -BeOfType [int]

            $ordered = Get-AgnoState -Session $s -Key ordered
            $ordered | Should -BeOfType [System.Collections.Specialized.OrderedDictionary]
            @($ordered.Keys) | Should -Be @('zulu', 'alpha', 'mike', 'bravo')
            @($ordered.Values) | Should -Be @(1, 2, 3, 4)

            $person = Get-AgnoState -Session $s -Key person
            $person | Should -BeOfType [pscustomobject]
            $person.psobject.Properties.Name | Should -Be @('Zeta', 'Alpha', 'Mid', 'Beta')
            $person.Zeta | Should -BeOfType [int]
            $person.Mid | Should -BeNullOrEmpty
            $person.Beta | Should -BeOfType [bool]

            $mixed = Get-AgnoState -Session $s -Key mixed -NoEnumerate
            $mixed.GetType() | Should -Be ([object[]])
            $mixed.Count | Should -Be 3
            $mixed[0] | Should -BeOfType [int]
            $mixed[1] | Should -BeOfType [string]
            $mixed[2] | Should -BeOfType [double]
            $ints = Get-AgnoState -Session $s -Key ints -NoEnumerate
            $ints.GetType() | Should -Be ([int[]])
            $ints | Should -Be @(1, 2, 3)
            $empty = Get-AgnoState -Session $s -Key empty -NoEnumerate
            $empty.GetType() | Should -Be ([object[]])
            $empty.Count | Should -Be 0
            $single = Get-AgnoState -Session $s -Key single -NoEnumerate
            $single.GetType() | Should -Be ([object[]])
            $single.Count | Should -Be 1
            $single[0] | Should -BeOfType [int]

            $nested = Get-AgnoState -Session $s -Key nested -NoEnumerate
            $nested | Should -BeOfType [hashtable]
            $nested.USER | Should -BeOfType [pscustomobject]
            $nested.user.psobject.Properties.Name | Should -Be @('Name', 'Tags', 'Prefs')
            $nested.user.Tags.GetType() | Should -Be ([object[]])
            $nested.user.Tags | Should -Be @('a', 'b')
            $nested.user.Prefs | Should -BeOfType [System.Collections.Specialized.OrderedDictionary]
            @($nested.user.Prefs.Keys) | Should -Be @('z', 'a')
            $nested.ids.GetType() | Should -Be ([System.Collections.Generic.List[int]])
            @($nested.ids) | Should -Be @(10, 20)
            $nested.at | Should -BeOfType [datetime]
            $nested.at.Kind | Should -Be ([DateTimeKind]::Utc)
        }

        It 'keeps each committed step of a workflow killed (SIGKILL) in its second step, passes integrity_check, and -Resume finishes without re-running step one' {
            $marker = Join-Path $dir 'in-step-two'
            $child = Start-ChildPwsh -ArgumentList $store, $marker -Script @'
param($ModulePath, $Store, $Marker)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$session = New-AgnoSession -SessionId nightly-1 -Store $Store
$workflow = New-AgnoWorkflow 'nightly' -Step @(
    New-AgnoStep 'fetch-user' {
        $runs = (Get-AgnoState -AsHashtable)['step_one_runs']
        Set-AgnoState -Key step_one_runs -Value ([int]$runs + 1)
        Set-AgnoState -Key user -Value @{ id = 'u-1'; name = 'Ann' }
    }
    New-AgnoStep 'fetch-orders' {
        param($marker)
        Set-AgnoState -Key orders -Value @('o-1', 'o-2')
        Set-AgnoState -Key user -Value 'changed by step two'
        $null = New-Item -ItemType File -Path $marker
        Start-Sleep -Seconds 60 # the work this step is killed in the middle of
    } -ArgumentList $Marker
    New-AgnoStep 'report' { Set-AgnoState -Key report -Value 'sent' }
)
Invoke-AgnoWorkflow $workflow -Session $session
'@
            try {
                $child.StandardInput.Close()
                # Bounded wait for the marker; WaitForExit doubles as the poll interval and notices a child that died.
                $deadline = [DateTime]::UtcNow.AddSeconds(45)
                while (-not (Test-Path -LiteralPath $marker)) {
                    if ($child.WaitForExit(50)) {
                        throw "The child exited (code $($child.ExitCode)) before step two began: $($child.StandardError.ReadToEnd())"
                    }
                    if ([DateTime]::UtcNow -gt $deadline) { throw 'Step two did not begin within 45 s.' }
                }
                $child.Kill() # SIGKILL on Unix: no handler, no finally block runs in the child
                $child.WaitForExit(10000) | Should -BeTrue
            }
            finally {
                Stop-ChildPwsh $child
            }

            # The file is sound, and holds step one's changes and none of step two's.
            @(Invoke-SqliteQuery $store 'PRAGMA integrity_check').integrity_check | Should -Be @('ok')
            $rows = Invoke-SqliteQuery $store 'SELECT key, value FROM state WHERE session_id = $id ORDER BY key_norm' @{ '$id' = 'nightly-1' }
            $rows.key | Should -Be @('step_one_runs', 'user')
            ($rows | Where-Object key -EQ 'step_one_runs').value | Should -Be '{"t":"i32","v":1}'
            $runRow = @(Invoke-SqliteQuery $store 'SELECT run_id, status FROM runs WHERE session_id = $id' @{ '$id' = 'nightly-1' })
            $runRow.Count | Should -Be 1
            $runRow[0].status | Should -Be 'Running'
            (Invoke-SqliteQuery $store 'SELECT node FROM run_nodes WHERE run_id = $r' @{ '$r' = $runRow[0].run_id }).node | Should -Be @('fetch-user')
            (Get-AgnoSession -Store $store -SessionId nightly-1).LastRunStatus | Should -Be 'Running'

            $session = New-AgnoSession -SessionId nightly-1 -Store $store
            (Get-AgnoState -Session $session -Key user).name | Should -Be 'Ann'
            Get-AgnoState -Session $session -Key orders -ErrorAction SilentlyContinue | Should -BeNullOrEmpty

            # Resume with the same workflow (name and step names); step one would count a second run.
            $workflow = New-AgnoWorkflow 'nightly' -Step @(
                New-AgnoStep 'fetch-user' {
                    $runs = (Get-AgnoState -AsHashtable)['step_one_runs']
                    Set-AgnoState -Key step_one_runs -Value ([int]$runs + 1)
                    Set-AgnoState -Key user -Value @{ id = 'u-1'; name = 'Ann' }
                }
                New-AgnoStep 'fetch-orders' { Set-AgnoState -Key orders -Value @('o-1', 'o-2') }
                New-AgnoStep 'report' { Set-AgnoState -Key report -Value 'sent' }
            )
            $run = Invoke-AgnoWorkflow $workflow -Session $session -Resume -PassThru | Select-RunRecord

            $run | Should -Not -BeNullOrEmpty
            $run.Status | Should -Be 'Completed'
            $run.RunId.ToString() | Should -Be $runRow[0].run_id
            $steps = @($run.Steps)
            $steps.Name | Should -Be @('fetch-user', 'fetch-orders', 'report')
            $steps.Status | Should -Be @('Skipped', 'Completed', 'Completed')
            Get-AgnoState -Session $session -Key step_one_runs | Should -Be 1
            $orders = Get-AgnoState -Session $session -Key orders -NoEnumerate
            $orders | Should -Be @('o-1', 'o-2')
            Get-AgnoState -Session $session -Key report | Should -Be 'sent'

            $stored = Invoke-SqliteQuery $store 'SELECT key, value FROM state WHERE session_id = $id ORDER BY key_norm' @{ '$id' = 'nightly-1' }
            $stored.key | Should -Be @('orders', 'report', 'step_one_runs', 'user')
            ($stored | Where-Object key -EQ 'step_one_runs').value | Should -Be '{"t":"i32","v":1}'
            (Get-AgnoSession -Store $store -SessionId nightly-1).LastRunStatus | Should -Be 'Completed'
            @(Invoke-SqliteQuery $store 'PRAGMA integrity_check').integrity_check | Should -Be @('ok')
        }

        It 'keeps all 800 keys that four processes set at once on one session, one Set-AgnoState per key' {
            $null = New-AgnoSession -SessionId shared -Store $store
            $writer = @'
param($ModulePath, $Store, $Id)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$session = New-AgnoSession -SessionId shared -Store $Store
[Console]::Out.WriteLine('ready')
$null = [Console]::In.ReadLine() # the gate: every writer starts when all four are ready
for ($i = 0; $i -lt 200; $i++) { Set-AgnoState -Session $session -Key "w$Id-k$i" -Value $i }
[Console]::Out.WriteLine('done')
'@
            $writers = @(foreach ($id in 1..4) { Start-ChildPwsh -Script $writer -ArgumentList $store, $id })
            try {
                foreach ($w in $writers) { Wait-ChildReady $w }
                foreach ($w in $writers) { $w.StandardInput.WriteLine('go'); $w.StandardInput.Close() }
                foreach ($w in $writers) {
                    $out = $w.StandardOutput.ReadToEndAsync()
                    $err = $w.StandardError.ReadToEndAsync()
                    $w.WaitForExit(60000) | Should -BeTrue -Because 'a writer must finish in time'
                    $w.WaitForExit()
                    $err.Result | Should -BeNullOrEmpty
                    $out.Result.Trim() | Should -Be 'done'
                    $w.ExitCode | Should -Be 0
                }
            }
            finally {
                Stop-ChildPwsh $writers
            }

            (Get-AgnoSession -Store $store -SessionId shared).KeyCount | Should -Be 800
            $all = Get-AgnoState -Session (New-AgnoSession -SessionId shared -Store $store) -AsHashtable
            $all.Count | Should -Be 800
            $missing = foreach ($id in 1..4) { foreach ($i in 0..199) { if ($all["w$id-k$i"] -ne $i) { "w$id-k$i" } } }
            $missing | Should -BeNullOrEmpty
            @(Invoke-SqliteQuery $store 'PRAGMA integrity_check').integrity_check | Should -Be @('ok')
        }

        It 'opens a store that does not exist yet from four processes at once' {
            $opener = @'
param($ModulePath, $Store, $Id)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
[Console]::Out.WriteLine('ready')
$null = [Console]::In.ReadLine()
$session = New-AgnoSession -SessionId shared -Store $Store
Set-AgnoState -Session $session -Key "opener$Id" -Value $Id
[Console]::Out.WriteLine('done')
'@
            $openers = @(foreach ($id in 1..4) { Start-ChildPwsh -Script $opener -ArgumentList $store, $id })
            try {
                foreach ($o in $openers) { Wait-ChildReady $o }
                foreach ($o in $openers) { $o.StandardInput.WriteLine('go'); $o.StandardInput.Close() }
                foreach ($o in $openers) {
                    $out = $o.StandardOutput.ReadToEndAsync()
                    $err = $o.StandardError.ReadToEndAsync()
                    $o.WaitForExit(60000) | Should -BeTrue
                    $o.WaitForExit()
                    $err.Result | Should -BeNullOrEmpty
                    $out.Result.Trim() | Should -Be 'done'
                }
            }
            finally {
                Stop-ChildPwsh $openers
            }
            (Get-AgnoSession -Store $store -SessionId shared).KeyCount | Should -Be 4
        }

        It 'commits each step as it completes: a later failing step leaves the earlier steps'' keys, seen from a fresh process' {
            $session = New-AgnoSession -SessionId etl-1 -Store $store
            $workflow = New-AgnoWorkflow 'etl' -Step @(
                New-AgnoStep 'extract' { Set-AgnoState -Key extracted -Value 3 }
                New-AgnoStep 'transform' { Set-AgnoState -Key transformed -Value @('a', 'b', 'c') }
                New-AgnoStep 'load' { Set-AgnoState -Key loaded -Value $true; throw 'the target is unreachable' }
            )

            $failure = { Invoke-AgnoWorkflow $workflow -Session $session } | Should -Throw -PassThru
            $failure.Exception.Message | Should -BeLike '*load*'

            $seen = Invoke-ChildPwsh -ArgumentList $store -Script @'
param($ModulePath, $Store)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$session = New-AgnoSession -SessionId etl-1 -Store $Store
$all = Get-AgnoState -Session $session -AsHashtable
($all.Keys | Sort-Object) -join ','
$t = Get-AgnoState -Session $session -Key transformed
'{0}:{1}:{2}' -f $all['extracted'].GetType().Name, $t.GetType().Name, ($t -join '')
(Get-AgnoSession -Store $Store -SessionId etl-1).LastRunStatus
'@
            $seen | Should -Be @('extracted,transformed', 'Int32:Object[]:abc', 'Failed')

            # The failed run can be resumed from its failed step.
            $fixed = New-AgnoWorkflow 'etl' -Step @(
                New-AgnoStep 'extract' { Set-AgnoState -Key extracted -Value 'ran again' }
                New-AgnoStep 'transform' { Set-AgnoState -Key transformed -Value 'ran again' }
                New-AgnoStep 'load' { Set-AgnoState -Key loaded -Value $true }
            )
            $run = Invoke-AgnoWorkflow $fixed -Session $session -Resume -PassThru | Select-RunRecord
            @($run.Steps).Status | Should -Be @('Skipped', 'Skipped', 'Completed')
            Get-AgnoState -Session $session -Key extracted | Should -Be 3
            Get-AgnoState -Session $session -Key loaded | Should -BeTrue
        }
    }

    Context 'What a store refuses' {
        It 'fails to open a session holding a value with an unknown type tag, naming key and tag, and changes nothing' {
            $victim = New-AgnoSession -SessionId victim -Store $store
            Set-AgnoState -Session $victim -Key ok -Value 1
            Set-AgnoState -Session $victim -Key handle -Value 'x'
            $other = New-AgnoSession -SessionId other -Store $store
            Set-AgnoState -Session $other -Key fine -Value 'yes'
            Invoke-SqliteNonQuery $store 'UPDATE state SET value = ''{"t":"System.Diagnostics.Process","v":"x"}'' WHERE session_id = ''victim'' AND key = ''handle''' |
                Should -Be 1
            $before = Get-StoreDump $store

            $e = { New-AgnoSession -SessionId victim -Store $store } | Should -Throw -PassThru

            $e.FullyQualifiedErrorId | Should -BeLike 'AgnoStoreValueUnreadable*'
            $e.Exception.Message | Should -BeLike "*'handle'*"
            $e.Exception.Message | Should -BeLike '*System.Diagnostics.Process*'
            Get-StoreDump $store | Should -BeExactly $before
            (Invoke-SqliteQuery $store 'SELECT value FROM state WHERE session_id = ''victim'' AND key = ''handle''').value |
                Should -BeExactly '{"t":"System.Diagnostics.Process","v":"x"}'
            Get-AgnoState -Key fine | Should -Be 'yes' -Because 'the refused session did not become the current one'
            Get-AgnoState -Session (New-AgnoSession -SessionId other -Store $store) -Key fine | Should -Be 'yes'
            (Get-AgnoSession -Store $store).SessionId | Should -Be @('other', 'victim')
        }

        It 'refuses a session opened under another UserId (AgnoSessionUserMismatch)' {
            $null = New-AgnoSession -SessionId account -UserId alice -Store $store
            Set-AgnoState -Key secret -Value 's3cr3t'
            $before = Get-StoreDump $store

            $e = { New-AgnoSession -SessionId account -UserId mallory -Store $store } | Should -Throw -PassThru

            $e.FullyQualifiedErrorId | Should -BeLike 'AgnoSessionUserMismatch*'
            $e.CategoryInfo.Category | Should -Be 'PermissionDenied'
            $e.Exception.Message | Should -BeLike '*account*'
            $e.Exception.Message | Should -Not -BeLike '*s3cr3t*'
            Get-StoreDump $store | Should -BeExactly $before
            (Get-AgnoSession -Store $store -SessionId account).UserId | Should -Be 'alice'
            Get-AgnoState -Session (New-AgnoSession -SessionId account -UserId alice -Store $store) -Key secret | Should -Be 's3cr3t'
        }

        It 'creates the store file readable and writable by its owner alone (0600)' -Skip:$IsWindows {
            $path = Join-Path $dir 'not/yet/there/agno.db'
            $s = New-AgnoSession -SessionId mode -Store $path -Force
            Set-AgnoState -Session $s -Key k -Value 'v'

            $ownerOnly = [System.IO.UnixFileMode]'UserRead, UserWrite'
            (Get-Item -LiteralPath $path).UnixFileMode | Should -Be $ownerOnly
            foreach ($companion in "$path-wal", "$path-shm") {
                if (Test-Path -LiteralPath $companion) { (Get-Item -LiteralPath $companion).UnixFileMode | Should -Be $ownerOnly -Because "$companion holds the store's data too" }
            }
        }

        It 'refuses a file that is not SQLite (AgnoStoreNotSqlite), naming it, and leaves it byte for byte' {
            $path = Join-Path $dir 'notes.txt'
            $bytes = [Text.Encoding]::UTF8.GetBytes("Not a database: a user's notes, which must survive.`n" * 20)
            [IO.File]::WriteAllBytes($path, $bytes)
            $tiny = Join-Path $dir 'tiny.txt'
            [IO.File]::WriteAllBytes($tiny, [byte[]](104, 105))

            $e = { New-AgnoSession -SessionId s -Store $path } | Should -Throw -PassThru
            $e.FullyQualifiedErrorId | Should -BeLike 'AgnoStoreNotSqlite*'
            $e.Exception.Message | Should -BeLike "*$path*"
            $e = { Get-AgnoSession -Store $path } | Should -Throw -PassThru
            $e.FullyQualifiedErrorId | Should -BeLike 'AgnoStoreNotSqlite*'
            $e = { New-AgnoSession -Store $tiny } | Should -Throw -PassThru
            $e.FullyQualifiedErrorId | Should -BeLike 'AgnoStoreNotSqlite*'
            $e.Exception.Message | Should -BeLike "*$tiny*"

            [IO.File]::ReadAllBytes($path) | Should -Be $bytes
            [IO.File]::ReadAllBytes($tiny) | Should -Be ([byte[]](104, 105))
            @(Get-ChildItem -LiteralPath $dir -Force).Name | Sort-Object | Should -Be @('notes.txt', 'tiny.txt')
        }

        It 'refuses a corrupt SQLite file, naming it, and leaves it byte for byte' {
            $path = Join-Path $dir 'corrupt.db'
            $bytes = [Text.Encoding]::ASCII.GetBytes("SQLite format 3`0" + ('garbage!' * 600))
            [IO.File]::WriteAllBytes($path, $bytes)

            $e = { New-AgnoSession -SessionId s -Store $path } | Should -Throw -PassThru
            $e.FullyQualifiedErrorId | Should -BeLike 'AgnoStore*'
            $e.Exception.Message | Should -BeLike "*$path*"
            [IO.File]::ReadAllBytes($path) | Should -Be $bytes
            @(Get-ChildItem -LiteralPath $dir -Force).Name | Should -Be @('corrupt.db')
        }
    }

    Context 'Get-AgnoSession and Remove-AgnoSession' {
        It 'lists id, user, key count, created, updated and last run status; filters by -SessionId wildcards and -UserId' {
            $start = [DateTimeOffset]::Now.AddSeconds(-1)
            $a1 = New-AgnoSession -SessionId alpha-1 -UserId ann -Store $store
            Set-AgnoState -Session $a1 -Key k1 -Value 1
            Set-AgnoState -Session $a1 -Key k2 -Value 2
            $a2 = New-AgnoSession -SessionId alpha-2 -UserId bob -Store $store
            Set-AgnoState -Session $a2 -Key k1 -Value 1
            $null = Invoke-AgnoWorkflow (New-AgnoWorkflow 'ok' -Step (New-AgnoStep 'only' { Set-AgnoState -Key done -Value $true })) -Session $a2 -Isolation Inline
            $beta = New-AgnoSession -SessionId beta -UserId ann -Store $store
            { Invoke-AgnoWorkflow (New-AgnoWorkflow 'bad' -Step (New-AgnoStep 'boom' { Set-AgnoState -Key never -Value 1; throw 'boom' })) -Session $beta -Isolation Inline } |
                Should -Throw

            $all = @(Get-AgnoSession -Store $store)

            $all.SessionId | Should -Be @('alpha-1', 'alpha-2', 'beta')
            $all.UserId | Should -Be @('ann', 'bob', 'ann')
            $all.KeyCount | Should -Be @(2, 2, 0)
            $all[0].LastRunStatus | Should -BeNullOrEmpty
            $all[1].LastRunStatus | Should -Be 'Completed'
            $all[2].LastRunStatus | Should -Be 'Failed'
            foreach ($info in $all) {
                $info.CreatedAt | Should -BeOfType [DateTimeOffset]
                $info.UpdatedAt | Should -BeOfType [DateTimeOffset]
                $info.CreatedAt | Should -BeGreaterOrEqual $start
                $info.UpdatedAt | Should -BeGreaterOrEqual $info.CreatedAt
                $info.UpdatedAt | Should -BeLessOrEqual ([DateTimeOffset]::Now.AddSeconds(1))
            }

            @(Get-AgnoSession -Store $store -SessionId 'alpha-*').SessionId | Should -Be @('alpha-1', 'alpha-2')
            @(Get-AgnoSession -Store $store -SessionId '*-2', 'beta').SessionId | Should -Be @('alpha-2', 'beta')
            @(Get-AgnoSession -Store $store -SessionId 'alpha-?' -UserId bob).SessionId | Should -Be @('alpha-2')
            @(Get-AgnoSession -Store $store -UserId ann).SessionId | Should -Be @('alpha-1', 'beta')
            @(Get-AgnoSession -Store $store -SessionId 'gamma*') | Should -HaveCount 0
            @(Get-AgnoSession -Store $store -UserId nobody) | Should -HaveCount 0
        }

        It 'removes a session with -Confirm:$false, removes nothing with -WhatIf, and removes what Get-AgnoSession pipes' {
            foreach ($id in 'keep', 'drop', 'piped') {
                $s = New-AgnoSession -SessionId $id -Store $store
                Set-AgnoState -Session $s -Key k -Value $id
                $null = Invoke-AgnoWorkflow (New-AgnoWorkflow 'w' -Step (New-AgnoStep 'one' { Set-AgnoState -Key ran -Value 1 })) -Session $s -Isolation Inline
            }
            $before = Get-StoreDump $store

            Remove-AgnoSession -Store $store -SessionId drop -WhatIf
            Get-StoreDump $store | Should -BeExactly $before

            Remove-AgnoSession -Store $store -SessionId drop -Confirm:$false
            @(Get-AgnoSession -Store $store).SessionId | Should -Be @('keep', 'piped')

            Get-AgnoSession -Store $store -SessionId piped | Remove-AgnoSession -Confirm:$false
            @(Get-AgnoSession -Store $store).SessionId | Should -Be @('keep')

            foreach ($table in 'state', 'runs') {
                (Invoke-SqliteQuery $store "SELECT session_id FROM $table").session_id | Sort-Object -Unique | Should -Be @('keep')
            }
            (Invoke-SqliteQuery $store 'SELECT COUNT(*) AS n FROM run_nodes WHERE run_id NOT IN (SELECT run_id FROM runs)').n | Should -Be 0
            Get-AgnoState -Session (New-AgnoSession -SessionId keep -Store $store) -Key k | Should -Be 'keep'
            @(Get-AgnoState -Session (New-AgnoSession -SessionId drop -Store $store)) | Should -HaveCount 0 -Because 'a removed session opens as a new, empty one'

            Remove-AgnoSession -Store $store -SessionId ghost -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable notFound
            $notFound | Should -HaveCount 1
            $notFound[0].FullyQualifiedErrorId | Should -BeLike 'AgnoSessionNotFound*'
        }
    }

    Context '$env:AGNO_STORE' {
        BeforeEach { $savedAgnoStore = $env:AGNO_STORE }
        AfterEach { $env:AGNO_STORE = $savedAgnoStore }

        It 'names the default store when -Store is omitted, in this process and in a child' {
            $env:AGNO_STORE = $store
            $s = New-AgnoSession -SessionId from-env
            Set-AgnoState -Session $s -Key greeting -Value 'hello'

            Test-Path -LiteralPath $store | Should -BeTrue
            $listed = @(Get-AgnoSession -Store $store)
            $listed.SessionId | Should -Be @('from-env')
            $listed[0].KeyCount | Should -Be 1
            Get-AgnoState -Session (New-AgnoSession -SessionId from-env) -Key greeting | Should -Be 'hello'
            Invoke-ChildPwsh -Script @'
param($ModulePath)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
Get-AgnoState -Session (New-AgnoSession -SessionId from-env) -Key greeting
'@ | Should -Be @('hello')

            # -Store wins over the variable.
            $elsewhere = Join-Path $dir 'elsewhere.db'
            Get-AgnoState -Session (New-AgnoSession -SessionId from-env -Store $elsewhere) -Key greeting -ErrorAction SilentlyContinue |
                Should -BeNullOrEmpty
            @(Get-AgnoSession -Store $elsewhere).SessionId | Should -Be @('from-env')

            # Without either, the session is in memory only.
            $env:AGNO_STORE = $null
            $before = Get-StoreDump $store
            $memory = New-AgnoSession -SessionId from-env
            Get-AgnoState -Session $memory -Key greeting -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            Set-AgnoState -Session $memory -Key only-in-memory -Value 1
            Get-StoreDump $store | Should -BeExactly $before
        }
    }
}
