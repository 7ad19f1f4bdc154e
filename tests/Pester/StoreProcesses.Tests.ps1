#Requires -Version 7.0
# Durable sessions you can trust across processes and days (issue 10): each promise tried as a
# user's scheduled scripts would, by child pwsh processes against a real store file. No sleep
# synchronises anything: children say 'ready' on stdout and wait for a line on stdin.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'AgnoTestSupport.psm1') -Force
    Import-AgnoForTest
    Initialize-TestSqlite

    # Runs a child to its end and returns its lines of the form name=value as a hashtable.
    function Invoke-ChildValues([string] $Script, [string[]] $ArgumentList, [string] $Shell) {
        $values = @{}
        foreach ($line in Invoke-ChildPwsh -Script $Script -ArgumentList $ArgumentList -Shell $Shell) {
            $name, $value = $line -split '=', 2
            $values[$name] = $value
        }
        $values
    }

    # A race on key k of session 'race' (k = 10): the child reads k, says ready and waits; this process
    # commits k = 100; the child goes on. Returns this process's session, the version of its commit,
    # and the child's lines.
    function Invoke-Race([string] $Store, [string] $Script, [string] $Strategy) {
        $mine = New-AgnoSession -SessionId race -Store $Store -State @{ k = 10 }
        $child = Start-ChildPwsh -Script $Script -ArgumentList $Store, $Strategy
        try {
            Wait-ChildReady $child
            Set-AgnoState -Session $mine -Key k -Value 100
            $other = (Get-AgnoSession -Store $Store -SessionId race).Version
            $mine, $other, (Complete-Child $child)
        }
        finally { Stop-ChildPwsh $child }
    }
}

# Adders x Each: the processes adding to one Sum key and one Append key, and how many times each
# adds: two processes 200 times (issue 10), four machines 100 times on PostgreSQL (issue 13).
Describe 'Stored sessions across processes (issue 10), on a <Kind> store' -ForEach @(@{ Kind = 'SQLite'; Adders = 2; Each = 200 }, @{ Kind = 'PostgreSQL'; Adders = 4; Each = 100 }) {
    BeforeEach {
        if ($noServer = Get-TestStoreSkipReason $Kind) { Set-ItResult -Skipped -Because $noServer }
        $store = New-TestStore $Kind
    }

    Context 'No lost update, no stale read' {
        It 'gives 105 when B opens the session, A adds 100 in a step, then B adds 5 in a step' {
            $b = Start-ChildPwsh -ArgumentList $store -Script @'
param($ModulePath, $Store)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$session = New-AgnoSession -SessionId shared -Store $Store -State @{ Processed = 0 }
[Console]::Out.WriteLine('ready')
$null = [Console]::In.ReadLine()
$add5 = New-AgnoWorkflow 'add-5' -Step (New-AgnoStep 'add' { Set-AgnoState -Key Processed -Value ((Get-AgnoState -Key Processed) + 5) })
Invoke-AgnoWorkflow $add5 -Session $session
"final=$(Get-AgnoState -Session $session -Key Processed)"
'@
            try {
                Wait-ChildReady $b
                $null = Invoke-ChildPwsh -ArgumentList $store -Script @'
param($ModulePath, $Store)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$session = New-AgnoSession -SessionId shared -Store $Store
$add100 = New-AgnoWorkflow 'add-100' -Step (New-AgnoStep 'add' { Set-AgnoState -Key Processed -Value ((Get-AgnoState -Key Processed) + 100) })
Invoke-AgnoWorkflow $add100 -Session $session
'@
                (Complete-Child $b).final | Should -Be '105'
            }
            finally { Stop-ChildPwsh $b }
            Get-AgnoState -Session (New-AgnoSession -SessionId shared -Store $store) -Key Processed | Should -Be 105
        }

        It 'loses nothing when <Adders> processes each add 1 to a Sum key and append to an Append key <Each> times, in steps and with Set-AgnoState' {
            $null = New-AgnoSession -SessionId counters -Store $store -State @{ n = 0; log = @() }
            $writer = @'
param($ModulePath, $Store, $Id, $Each)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$session = New-AgnoSession -SessionId counters -Store $Store -Reducer @{ n = 'Sum'; log = 'Append' }
$warnings = [System.Collections.Generic.List[object]]::new()
[Console]::Out.WriteLine('ready')
$null = [Console]::In.ReadLine()
for ($i = 0; $i -lt $Each; $i++) {
    $item = "p$Id-$i"
    if ($i % 2) {
        Set-AgnoState -Session $session -Key n -Value ((Get-AgnoState -Session $session -Key n) + 1) -WarningVariable w -WarningAction SilentlyContinue
        $warnings.AddRange(@($w))
        Set-AgnoState -Session $session -Key log -Value (@($session.State.Get('log')) + $item) -WarningVariable w -WarningAction SilentlyContinue
        $warnings.AddRange(@($w))
    }
    else {
        $bump = New-AgnoWorkflow "bump" -Step (New-AgnoStep 'bump' {
            param($item)
            Set-AgnoState -Key n -Value ((Get-AgnoState -Key n) + 1)
            Set-AgnoState -Key log -Value (@($AgnoSession.State.Get('log')) + $item)
        } -ArgumentList $item)
        Invoke-AgnoWorkflow $bump -Session $session -WarningVariable w -WarningAction SilentlyContinue
        $warnings.AddRange(@($w))
    }
}
"warnings=$($warnings.Count)"
"unexplained=$(@($warnings | Where-Object { $_.Message -notmatch "^AgnoStoreConflict: key '(n|log)' of session 'counters' was changed by another commit \(version \d+\).*the reducer (Sum|Append) combined both changes" }).Count)"
'@
            $writers = @(foreach ($id in 1..$Adders) { Start-ChildPwsh -Script $writer -ArgumentList $store, $id, $Each })
            try {
                foreach ($w in $writers) { Wait-ChildReady $w }
                foreach ($w in $writers) { $w.StandardInput.WriteLine('go') } # all start at once
                $results = @(foreach ($w in $writers) { Complete-Child $w -Sent })
            }
            finally { Stop-ChildPwsh $writers }

            foreach ($r in $results) { $r.unexplained | Should -Be '0' }
            ($results | ForEach-Object { [int] $_.warnings } | Measure-Object -Sum).Sum | Should -BeGreaterThan 0 -Because 'writers at once meet'
            $session = New-AgnoSession -SessionId counters -Store $store
            Get-AgnoState -Session $session -Key n | Should -Be 400
            $log = @($session.State.Get('log'))
            $log.Count | Should -Be 400
            @($log | Select-Object -Unique).Count | Should -Be 400
            foreach ($id in 1..$Adders) { @($log | Where-Object { $_ -like "p$id-*" }) | Should -Be @(0..($Each - 1) | ForEach-Object { "p$id-$_" }) }
        }

        It 'shows a monitor process another process''s commit and removal on its next read' {
            $worker = New-AgnoSession -SessionId job -Store $store -State @{ status = 'starting'; scratch = 1 }
            $monitor = Start-ChildPwsh -ArgumentList $store -Script @'
param($ModulePath, $Store)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$session = New-AgnoSession -SessionId job -Store $Store
[Console]::Out.WriteLine('ready')
[Console]::Out.WriteLine("first=$(Get-AgnoState -Session $session -Key status)")
$null = [Console]::In.ReadLine()
"second=$(Get-AgnoState -Session $session -Key status)"
"keys=$((Get-AgnoState -Session $session).Key -join ',')"
'@
            try {
                Wait-ChildReady $monitor
                Read-ChildLine $monitor | Should -Be 'first=starting'
                Set-AgnoState -Session $worker -Key status -Value 'done'
                Remove-AgnoState -Session $worker -Key scratch
                $seen = Complete-Child $monitor
            }
            finally { Stop-ChildPwsh $monitor }
            $seen.second | Should -Be 'done'
            $seen.keys | Should -Be 'status'
        }
    }

    Context 'Conflicts between processes' {
        BeforeAll {
            # Reads k, says ready, waits while the test commits k, then sets k from what it read.
            $racer = @'
param($ModulePath, $Store, $Strategy)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$reducer = if ($Strategy -eq 'Reducer') { @{ k = { param($base, $current, $incoming) $current + $incoming - $base } } }
$strategy = if ($Strategy -eq 'Reducer') { 'LastWriteWins' } else { $Strategy }
$session = New-AgnoSession -SessionId race -Store $Store -MergeStrategy $strategy -Reducer $reducer
$seen = Get-AgnoState -Session $session -Key k
[Console]::Out.WriteLine('ready')
$null = [Console]::In.ReadLine()
Set-AgnoState -Session $session -Key k -Value ($seen + 1) -WarningVariable w -WarningAction SilentlyContinue -ErrorVariable e -ErrorAction SilentlyContinue
"warning=$($w -join '|')"
"error=$(if ($e) { $e[0].FullyQualifiedErrorId + '|' + $e[0].Exception.Message })"
"k=$(Get-AgnoState -Session $session -Key k)"
'@
        }

        It 'resolves a conflicting Set-AgnoState by the session''s <Strategy> and warns with AgnoStoreConflict, the key and the other commit''s version' -ForEach @(
            @{ Strategy = 'LastWriteWins'; Kept = '11' }
            @{ Strategy = 'FirstWriteWins'; Kept = '100' }
            @{ Strategy = 'Reducer'; Kept = '101' }
        ) {
            $mine, $other, $result = Invoke-Race $store $racer $Strategy
            $result.error | Should -BeNullOrEmpty
            $result.warning | Should -BeLike "AgnoStoreConflict: key 'k' of session 'race' was changed by another commit (version $other)*"
            $result.k | Should -Be $Kept
            Get-AgnoState -Session $mine -Key k | Should -Be ([int] $Kept)
        }

        It 'under Fail refuses the conflicting Set-AgnoState with AgnoMergeConflict, warns, and commits nothing' {
            $mine, $other, $result = Invoke-Race $store $racer 'Fail'
            $result.error | Should -BeLike "AgnoMergeConflict,Agno.Commands.SetAgnoStateCommand|*'k'*version $other*Nothing was committed*"
            $result.warning | Should -BeLike "AgnoStoreConflict: key 'k' of session 'race' was changed by another commit (version $other)*nothing was committed (Fail)."
            $result.k | Should -Be '100'
            (Get-AgnoSession -Store $store -SessionId race).Version | Should -Be $other
        }

        It 'records a workflow step''s conflict on the run record and warns; under Fail the step fails with AgnoMergeConflict and commits nothing' -ForEach @(
            @{ Strategy = 'LastWriteWins' }
            @{ Strategy = 'Fail' }
        ) {
            $mine, $other, $result = Invoke-Race $store @'
param($ModulePath, $Store, $Strategy)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$session = New-AgnoSession -SessionId race -Store $Store -MergeStrategy $Strategy
$update = New-AgnoWorkflow 'update' -Step (New-AgnoStep 'bump' {
    $seen = Get-AgnoState -Key k
    [Console]::Out.WriteLine('ready') # the step has its copy; another process commits now
    $null = [Console]::In.ReadLine()
    Set-AgnoState -Key k -Value ($seen + 1)
})
try {
    $run = Invoke-AgnoWorkflow $update -Session $session -PassThru -WarningVariable w -WarningAction SilentlyContinue | Where-Object { $_ -is [Agno.Core.RunRecord] }
}
catch {
    "error=$($_.FullyQualifiedErrorId)"
    $run = $_.Exception.Run
}
"warning=$($w -join '|')"
"status=$($run.Status)"
"recorded=$($run.Steps[0].StoreConflicts.Key)@$($run.Steps[0].StoreConflicts.OtherVersion)"
"history=$((Get-AgnoRun -Session $session -Last 1).StoreConflicts.Key)"
'@ $Strategy
            $result.warning | Should -BeLike "AgnoStoreConflict: key 'k' of session 'race' was changed by another commit (version $other)*"
            $result.recorded | Should -Be "k@$other"
            $result.history | Should -Be 'k'
            if ($Strategy -eq 'Fail') {
                $result.error | Should -Be 'AgnoMergeConflict,Agno.Commands.InvokeAgnoWorkflowCommand'
                $result.status | Should -Be 'Failed'
                Get-AgnoState -Session $mine -Key k | Should -Be 100
                (Get-AgnoRun -Store $store -SessionId race -Last 1).Status | Should -Be 'Failed'
            }
            else {
                $result.status | Should -Be 'Completed'
                Get-AgnoState -Session $mine -Key k | Should -Be 11
            }
        }

        It 'merges a parallel node by its session''s rules unless it sets its own' {
            $session = New-AgnoSession -SessionId fan -Store $store -State @{ n = 0 } -Reducer @{ n = 'Sum' }
            $inc = { Set-AgnoState -Key n -Value ((Get-AgnoState -Key n) + 1) }
            Invoke-AgnoParallel -Session $session -ScriptBlock $inc, $inc, $inc
            Get-AgnoState -Session $session -Key n | Should -Be 3
            Invoke-AgnoParallel -Session $session -ScriptBlock $inc, $inc -MergeStrategy LastWriteWins
            Get-AgnoState -Session $session -Key n | Should -Be 4
            $workflow = New-AgnoWorkflow 'w' -Step (New-AgnoParallel 'p' -Step (New-AgnoStep a $inc), (New-AgnoStep b $inc))
            Invoke-AgnoWorkflow $workflow -Session $session
            Get-AgnoState -Session $session -Key n | Should -Be 6
        }
    }

    Context 'Sessions' {
        It 'opens nightly as NIGHTLY (the first casing kept), lists and removes it once, and resumes it under either casing' {
            $null = Invoke-ChildPwsh -ArgumentList $store -Script @'
param($ModulePath, $Store)
Import-Module $ModulePath
$session = New-AgnoSession -SessionId nightly -Store $Store -State @{ owner = 'ops' }
$etl = New-AgnoWorkflow 'etl' -Step (New-AgnoStep 'extract' { Set-AgnoState -Key extracted -Value 1 }), (New-AgnoStep 'load' { throw 'the target is down' })
try { Invoke-AgnoWorkflow $etl -Session $session } catch { }
'@
            $session = New-AgnoSession -SessionId NIGHTLY -Store $store
            $session.SessionId | Should -BeExactly 'nightly'
            Get-AgnoState -Session $session -Key owner | Should -Be 'ops'
            @(Get-AgnoSession -Store $store).SessionId | Should -BeExactly @('nightly')

            $fixed = New-AgnoWorkflow 'etl' -Step (New-AgnoStep 'extract' { Set-AgnoState -Key extracted -Value 2 }), (New-AgnoStep 'load' { Set-AgnoState -Key loaded -Value $true })
            $run = Invoke-AgnoWorkflow $fixed -Session $session -Resume -PassThru -WarningVariable w | Select-RunRecord
            $w | Should -BeNullOrEmpty
            @($run.Steps).Status | Should -Be @('Skipped', 'Completed')
            Get-AgnoState -Session $session -Key extracted | Should -Be 1

            Get-AgnoSession -Store $store -SessionId NIGHTLY | Remove-AgnoSession -Confirm:$false
            @(Get-AgnoSession -Store $store) | Should -HaveCount 0
        }

        It 'reloads the run history in a new process: status, start, duration, each step, the failed step''s error; bounded by -HistoryLimit' {
            $null = Invoke-ChildPwsh -ArgumentList $store -Script @'
param($ModulePath, $Store)
Import-Module $ModulePath
$session = New-AgnoSession -SessionId history -Store $Store -HistoryLimit 3
$ok = New-AgnoWorkflow 'nightly' -Step (New-AgnoStep 'fetch' { Set-AgnoState -Key fetched -Value 1 }), (New-AgnoStep 'report' { Set-AgnoState -Key reported -Value 1 })
$bad = New-AgnoWorkflow 'nightly' -Step (New-AgnoStep 'fetch' { Set-AgnoState -Key fetched -Value 1 }), (New-AgnoStep 'report' { throw 'the printer is on fire' })
Invoke-AgnoWorkflow $ok -Session $session
Invoke-AgnoWorkflow $ok -Session $session
try { Invoke-AgnoWorkflow $bad -Session $session } catch { }
Invoke-AgnoWorkflow $ok -Session $session
'@
            $session = New-AgnoSession -SessionId history -Store $store
            $runs = @(Get-AgnoRun -Session $session)
            $runs.Status | Should -Be @('Completed', 'Failed', 'Completed')
            @(Get-StoredRuns $store history).Count | Should -Be 3
            $failed = $runs[1]
            $failed.StartedAt | Should -BeOfType [DateTimeOffset]
            $failed.StartedAt | Should -BeLessThan $runs[2].StartedAt
            $failed.Duration | Should -BeGreaterThan ([TimeSpan]::Zero)
            @($failed.Steps).Name | Should -Be @('fetch', 'report')
            @($failed.Steps).Status | Should -Be @('Completed', 'Failed')
            $failed.Steps[1].Error.Message | Should -BeLike "*the printer is on fire*"
            $failed.Steps[1].Error.ErrorId | Should -Be 'AgnoStepFailed'

            @(Get-AgnoRun -Store $store -SessionId HISTORY -Last 2).Status | Should -Be @('Failed', 'Completed')
            @(Get-AgnoSession -Store $store -SessionId history | Get-AgnoRun -Last 1).Status | Should -Be 'Completed'
            $table = Get-AgnoRun -Session $session | Format-Table | Out-String -Width 300
            $table | Should -Match 'StartedAt\s+Name\s+Status\s+Duration\s+Steps'
            $table | Should -Match 'nightly\s+Failed\s+.*1/2.*the printer is on fire'
        }

        It 'keeps the last 100 runs by default, in memory and in the store' {
            $session = New-AgnoSession -SessionId bounded -Store $store
            $quick = New-AgnoWorkflow 'quick' -Step (New-AgnoStep 'one' { })
            foreach ($i in 1..103) { Invoke-AgnoWorkflow $quick -Session $session -Isolation Inline }
            $session.History.Count | Should -Be 100
            @(Get-StoredRuns $store bounded).Count | Should -Be 100
            Get-StoreOrphanCount $store | Should -Be 0
            $session.History[-1].RunId | Should -Be (Get-AgnoRun -Store $store -SessionId bounded -Last 1).RunId
        }

        It 'applies and stores -Input given when reopening a stored session' {
            $null = Invoke-ChildPwsh -ArgumentList $store -Script @'
param($ModulePath, $Store)
Import-Module $ModulePath
$null = New-AgnoSession -SessionId inputs -Store $Store -Input 'monday'
'@
            (New-AgnoSession -SessionId inputs -Store $store -Input @{ day = 'tuesday' }).Input.day | Should -Be 'tuesday'
            $seen = Invoke-ChildValues -ArgumentList $store -Script @'
param($ModulePath, $Store)
Import-Module $ModulePath
"day=$((New-AgnoSession -SessionId inputs -Store $Store).Input.day)"
'@
            $seen.day | Should -Be 'tuesday'
            (New-AgnoSession -SessionId inputs -Store $store).Input.day | Should -Be 'tuesday' -Because 'opening without -Input keeps the stored one'
        }

        It 'checks user ids both ways: a session stored with one does not open without it, one stored without one does not open with one' {
            $null = Invoke-ChildPwsh -ArgumentList $store -Script @'
param($ModulePath, $Store)
Import-Module $ModulePath
Set-AgnoState -Session (New-AgnoSession -SessionId payroll -UserId alice -Store $Store) -Key secret -Value 's3cr3t'
Set-AgnoState -Session (New-AgnoSession -SessionId public -Store $Store) -Key note -Value 'hi'
'@
            $before = Get-StoreDump $store

            $e = Get-ThrownError { New-AgnoSession -SessionId payroll -Store $store }
            $e.FullyQualifiedErrorId | Should -Be 'AgnoSessionUserMismatch,Agno.Commands.NewAgnoSessionCommand'
            $e.CategoryInfo.Category | Should -Be 'PermissionDenied'
            $e.Exception.Message | Should -BeLike "*'payroll'*stored with a UserId*"
            $e.Exception.Message | Should -Not -BeLike '*s3cr3t*'

            $e = Get-ThrownError { New-AgnoSession -SessionId public -UserId alice -Store $store }
            $e.FullyQualifiedErrorId | Should -Be 'AgnoSessionUserMismatch,Agno.Commands.NewAgnoSessionCommand'
            $e.Exception.Message | Should -BeLike "*'public'*stored without a UserId*"

            (Get-ThrownError { Get-AgnoRun -Store $store -SessionId payroll }).FullyQualifiedErrorId | Should -Be 'AgnoSessionUserMismatch,Agno.Commands.GetAgnoRunCommand'
            (Get-ThrownError { Get-AgnoRun -Store $store -SessionId public -UserId alice }).FullyQualifiedErrorId | Should -Be 'AgnoSessionUserMismatch,Agno.Commands.GetAgnoRunCommand'
            Get-StoreDump $store | Should -BeExactly $before

            Get-AgnoState -Session (New-AgnoSession -SessionId payroll -UserId alice -Store $store) -Key secret | Should -Be 's3cr3t'
            Get-AgnoState -Session (New-AgnoSession -SessionId public -Store $store) -Key note | Should -Be 'hi'
            @(Get-AgnoSession -Store $store).SessionId | Should -Be @('payroll', 'public')
        }
    }
}

Describe 'Store files and access (issue 10)' {
    BeforeEach {
        $dir = New-TestDirectory
        $store = Join-Path $dir 'agno.db'
    }

    It 'gives each store-path problem its own error id and category, naming the path, and creates nothing' {
        $e = Get-ThrownError { New-AgnoSession -Store $dir }
        $e.FullyQualifiedErrorId | Should -Be 'AgnoStoreIsFolder,Agno.Commands.NewAgnoSessionCommand'
        $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $e.Exception.Message | Should -BeLike "*'$dir'*"

        $notes = Join-Path $dir 'notes.txt'
        Set-Content -LiteralPath $notes -Value 'a user''s notes'
        $e = Get-ThrownError { New-AgnoSession -Store $notes }
        $e.FullyQualifiedErrorId | Should -Be 'AgnoStoreNotSqlite,Agno.Commands.NewAgnoSessionCommand'
        $e.CategoryInfo.Category | Should -Be 'InvalidData'
        Get-Content -LiteralPath $notes | Should -Be 'a user''s notes'

        $e = Get-ThrownError { Get-AgnoSession -Store (Join-Path $dir 'absent.db') }
        $e.FullyQualifiedErrorId | Should -Be 'AgnoStoreNotFound,Agno.Commands.GetAgnoSessionCommand'
        $e.CategoryInfo.Category | Should -Be 'ObjectNotFound'

        if ($IsLinux) {
            $e = Get-ThrownError { New-AgnoSession -Store /proc/agno.db }
            $e.FullyQualifiedErrorId | Should -Be 'AgnoStoreCreateFailed,Agno.Commands.NewAgnoSessionCommand'
            $e.CategoryInfo.Category | Should -Be 'WriteError'
            $e.Exception.Message | Should -BeLike "*'/proc/agno.db'*"
            (Get-ThrownError { New-AgnoSession -Store /proc/self/status }).FullyQualifiedErrorId | Should -BeLike 'AgnoStoreNotSqlite,*'
        }
        @(Get-ChildItem -LiteralPath $dir).Name | Should -Be @('notes.txt')
    }

    It 'refuses a store path whose folder does not exist, naming the folder, and creates it with -Force' {
        $typo = Join-Path $dir 'nigthly'
        $path = Join-Path $typo 'agno.db'
        $e = Get-ThrownError { New-AgnoSession -SessionId s -Store $path }
        $e.FullyQualifiedErrorId | Should -Be 'AgnoStoreFolderNotFound,Agno.Commands.NewAgnoSessionCommand'
        $e.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $e.Exception.Message | Should -BeLike "*folder '$typo'*-Force*"
        Test-Path -LiteralPath $typo | Should -BeFalse

        $seen = Invoke-ChildValues -ArgumentList $path -Script @'
param($ModulePath, $Store)
Import-Module $ModulePath
try { $null = New-AgnoSession -SessionId s -Store $Store } catch { "error=$($_.FullyQualifiedErrorId)" }
$env:AGNO_STORE = $Store
try { $null = New-AgnoSession -SessionId s } catch { "env=$($_.FullyQualifiedErrorId)" }
Set-AgnoState -Session (New-AgnoSession -SessionId s -Force) -Key k -Value 1
'@
        $seen.error | Should -Be 'AgnoStoreFolderNotFound,Agno.Commands.NewAgnoSessionCommand'
        $seen.env | Should -Be 'AgnoStoreFolderNotFound,Agno.Commands.NewAgnoSessionCommand'
        Get-AgnoState -Session (New-AgnoSession -SessionId s -Store $path) -Key k | Should -Be 1
    }

    It 'refuses another user''s 0600 store and a folder it cannot write to with AgnoStoreAccessDenied' -Skip:(-not $IsLinux -or (id -u) -ne '0' -or -not (Get-Command setpriv -ErrorAction SilentlyContinue)) {
        # As root, whom file modes do not stop, the child runs without the capabilities that let it pass them.
        $foreign = Join-Path $dir 'alice.db'
        Set-AgnoState -Session (New-AgnoSession -SessionId s -Store $foreign) -Key secret -Value 's3cr3t'
        & chown nobody $foreign
        $readOnly = New-Item -ItemType Directory -Path (Join-Path $dir 'readonly')
        & chmod 0555 $readOnly.FullName
        $seen = Invoke-ChildValues -ArgumentList $foreign, (Join-Path $readOnly.FullName 'agno.db') -Shell 'exec setpriv --bounding-set -dac_override,-dac_read_search "$@"' -Script @'
param($ModulePath, $Foreign, $InReadOnly)
Import-Module $ModulePath
foreach ($case in @{ name = 'foreign'; path = $Foreign }, @{ name = 'readonly'; path = $InReadOnly }) {
    try { $null = New-AgnoSession -Store $case.path; "$($case.name)=created" }
    catch { "$($case.name)=$($_.FullyQualifiedErrorId)|$($_.CategoryInfo.Category)|$($_.Exception.Message)" }
}
'@
        $seen.foreign | Should -BeLike "AgnoStoreAccessDenied,Agno.Commands.NewAgnoSessionCommand|PermissionDenied|*'$foreign'*permission denied*"
        $seen.readonly | Should -BeLike "AgnoStoreAccessDenied,Agno.Commands.NewAgnoSessionCommand|PermissionDenied|*agno.db*"
        Test-Path -LiteralPath (Join-Path $readOnly.FullName 'agno.db') | Should -BeFalse
    }

    It 'detects a store file replaced by another while a session is open, and writes nothing to the new file' {
        $session = New-AgnoSession -SessionId mine -Store $store -State @{ k = 1 }
        $null = Invoke-ChildPwsh -ArgumentList $store -Script @'
param($ModulePath, $Store)
$ErrorActionPreference = 'Stop'
Remove-Item -LiteralPath $Store, "$Store-wal", "$Store-shm" -Force -ErrorAction SilentlyContinue
Import-Module $ModulePath
Set-AgnoState -Session (New-AgnoSession -SessionId theirs -Store $Store) -Key x -Value 'theirs'
'@
        $before = Get-StoreDump $store

        Set-AgnoState -Session $session -Key k2 -Value 2 -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].FullyQualifiedErrorId | Should -Be 'AgnoStoreReplaced,Agno.Commands.SetAgnoStateCommand'
        $e[0].CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        $e[0].Exception.Message | Should -BeLike "*'$store' was replaced by another file*nothing was read from or written to*"
        Get-AgnoState -Session $session -Key k -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].FullyQualifiedErrorId | Should -Be 'AgnoStoreReplaced,Agno.Commands.GetAgnoStateCommand'
        $e = Get-ThrownError { Invoke-AgnoWorkflow (New-AgnoWorkflow w -Step (New-AgnoStep s { Set-AgnoState -Key k3 -Value 3 })) -Session $session }
        $e.FullyQualifiedErrorId | Should -Be 'AgnoStoreReplaced,Agno.Commands.InvokeAgnoWorkflowCommand'
        Get-StoreDump $store | Should -BeExactly $before

        # What is opened from now on uses the file at the path now.
        Get-AgnoState -Session (New-AgnoSession -SessionId theirs -Store $store) -Key x | Should -Be 'theirs'
        @(Get-AgnoSession -Store $store).SessionId | Should -Be @('theirs')
        Get-StoreDump $store | Should -BeExactly $before
    }

    It 'compacts a store with Optimize-AgnoStore (not with -WhatIf), while another process keeps its session open' {
        $keeper = Start-ChildPwsh -ArgumentList $store -Script @'
param($ModulePath, $Store)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$session = New-AgnoSession -SessionId keep -Store $Store -State @{ a = 1; gone = 1 }
[Console]::Out.WriteLine('ready')
$null = [Console]::In.ReadLine()
"keys=$((Get-AgnoState -Session $session).Key -join ',')"
Set-AgnoState -Session $session -Key after -Value 'compaction'
"after=$(Get-AgnoState -Session $session -Key after)"
'@
        try {
            Wait-ChildReady $keeper
            $bulk = @{}
            foreach ($i in 1..300) { $bulk["k$i"] = 'x' * 4000 }
            Set-AgnoState -Session (New-AgnoSession -SessionId bulky -Store $store) -InputObject $bulk
            Remove-AgnoState -Session (New-AgnoSession -SessionId keep -Store $store) -Key gone
            Remove-AgnoSession -Store $store -SessionId bulky -Confirm:$false
            $size = { (Get-ChildItem -LiteralPath $dir -Filter 'agno.db*' | Where-Object Name -NE 'agno.db-shm' | Measure-Object Length -Sum).Sum }
            $dump = Get-StoreDump $store
            $before = & $size

            Optimize-AgnoStore -Store $store -WhatIf
            Get-StoreDump $store | Should -BeExactly $dump
            Optimize-AgnoStore -Store $store -Verbose 4>&1 | Select-Object -Last 1 | Should -BeLike "*bytes before*"

            (& $size) | Should -BeLessThan ($before / 4)
            @(Invoke-SqliteQuery $store 'PRAGMA integrity_check').integrity_check | Should -Be @('ok')
            $seen = Complete-Child $keeper
        }
        finally { Stop-ChildPwsh $keeper }
        $seen.keys | Should -Be 'a'
        $seen.after | Should -Be 'compaction'
    }
}

Describe '-Resume without a store (issue 10)' {
    It 'resumes a failed run from the session''s own history, and warns and runs from the start when there is nothing to resume' {
        $script:extracts = 0
        $session = New-AgnoSession
        $broken = New-AgnoWorkflow 'etl' -Step (New-AgnoStep 'extract' { $script:extracts++; Set-AgnoState -Key x -Value 1 }), (New-AgnoStep 'load' { throw 'down' })
        $fixed = New-AgnoWorkflow 'etl' -Step (New-AgnoStep 'extract' { $script:extracts++; Set-AgnoState -Key x -Value 1 }), (New-AgnoStep 'load' { Set-AgnoState -Key y -Value 2 })

        $run = Invoke-AgnoWorkflow $fixed -Session $session -Resume -PassThru -Isolation Inline -WarningVariable w -WarningAction SilentlyContinue | Select-RunRecord
        $w.Message | Should -BeLike "There was nothing to resume: 'etl' has no unfinished run on session '$($session.SessionId)'*ran from the start*"
        @($run.Steps).Status | Should -Be @('Completed', 'Completed')

        { Invoke-AgnoWorkflow $broken -Session $session -Isolation Inline } | Should -Throw
        $failedId = (Get-AgnoRun -Session $session -Last 1).RunId
        $run = Invoke-AgnoWorkflow $fixed -Session $session -Resume -PassThru -Isolation Inline -WarningVariable w | Select-RunRecord
        $w | Should -BeNullOrEmpty
        $run.IsResumed | Should -BeTrue
        $run.RunId | Should -Be $failedId
        @($run.Steps).Status | Should -Be @('Skipped', 'Completed')
        $script:extracts | Should -Be 2 -Because 'the resumed run did not extract again'
    }
}
