#Requires -Version 7.0
# Control flow (issue 11, items 5-8 and 10): conditions, loops, routers and an early stop, as users
# write them, nested anywhere a step can be, under both isolations, and checkpointed: a run killed
# in a loop's third iteration resumes in its third iteration.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'AgnoTestSupport.psm1') -Force
    Import-AgnoForTest
}

Describe 'New-AgnoCondition (item 5)' {
    It 'runs -Then when the condition, reading the state, is true, and -Else otherwise (<Isolation>)' -ForEach @(
        @{ Isolation = 'Runspace' }, @{ Isolation = 'Inline' }
    ) {
        $check = New-AgnoCondition disk-check -Condition { (Get-AgnoState -Key used) -gt 90 } `
            -Then (New-AgnoStep alert { Set-AgnoState -Key action -Value 'alert' }) `
            -Else (New-AgnoStep fine { Set-AgnoState -Key action -Value 'nothing' })
        $full = New-AgnoSession -State @{ used = 95 }
        $run = Invoke-AgnoWorkflow (New-AgnoWorkflow nightly $check) -Session $full -Isolation $Isolation -PassThru
        Get-AgnoState -Session $full -Key action | Should -Be 'alert'
        $run.Steps[0].Decision | Should -Be 'Then'
        $run.Steps.Name | Should -Be @('disk-check', 'alert')

        $empty = New-AgnoSession -State @{ used = 10 }
        $run = Invoke-AgnoWorkflow (New-AgnoWorkflow nightly $check) -Session $empty -Isolation $Isolation -PassThru
        Get-AgnoState -Session $empty -Key action | Should -Be 'nothing'
        $run.Steps[0].Decision | Should -Be 'Else'
    }

    It 'keeps nothing the condition itself changes, and runs nothing without -Else when false' {
        $session = New-AgnoSession -State @{ n = 1 }
        $check = New-AgnoCondition c -Condition { Set-AgnoState -Key sneaky -Value 1; $false } -Then (New-AgnoStep t { Set-AgnoState -Key ran -Value 1 })
        $run = Invoke-AgnoWorkflow $check -Session $session -PassThru
        $session.State.Keys | Should -Be @('n')
        $run.Status | Should -Be 'Completed'
    }

    It 'fails naming the condition when it throws, and commits nothing of its branch' {
        $session = New-AgnoSession
        $check = New-AgnoCondition broken -Condition { throw 'no answer' } -Then (New-AgnoStep t { Set-AgnoState -Key ran -Value 1 })
        $err = Get-ThrownError { Invoke-AgnoWorkflow $check -Session $session }
        $err.FullyQualifiedErrorId | Should -BeLike 'AgnoStepFailed,*'
        $err.Exception.Message | Should -Match "'broken'"
        $session.State.Count | Should -Be 0
    }
}

Describe 'New-AgnoLoop (item 6)' {
    It 'runs its steps until -Until is true, recording each iteration' {
        $session = New-AgnoSession -State @{ tries = 0 }
        $poll = New-AgnoLoop poll (New-AgnoStep try { Set-AgnoState -Key tries -Value ((Get-AgnoState -Key tries) + 1) }) -Until { (Get-AgnoState -Key tries) -ge 3 } -MaxIterations 10
        $run = Invoke-AgnoWorkflow (New-AgnoWorkflow w $poll) -Session $session -PassThru
        Get-AgnoState -Session $session -Key tries | Should -Be 3
        $loop = $run.Steps | Where-Object Name -EQ 'poll'
        $loop.Children.Name | Should -Be @('#1', '#2', '#3')
        $loop.Decision | Should -Match 'after iteration 3'
    }

    It 'asks -While before each iteration and may run none' {
        $session = New-AgnoSession -State @{ queue = @(1, 2); done = 0 }
        $drain = New-AgnoLoop drain (New-AgnoStep take {
                $q = @(Get-AgnoState -Key queue); Set-AgnoState -Key queue -Value @($q | Select-Object -Skip 1) -ErrorAction Stop
                Set-AgnoState -Key done -Value ((Get-AgnoState -Key done) + 1) }) -While { @(Get-AgnoState -Key queue).Count -gt 0 } -MaxIterations 5
        Invoke-AgnoWorkflow $drain -Session $session
        Get-AgnoState -Session $session -Key done | Should -Be 2
        Invoke-AgnoWorkflow $drain -Session $session
        Get-AgnoState -Session $session -Key done | Should -Be 2 -Because 'the queue was empty: no iteration ran'
    }

    It 'completes with a warning at -MaxIterations, or fails with -FailOnMaxIterations' {
        $session = New-AgnoSession -State @{ n = 0 }
        $inc = New-AgnoStep inc { Set-AgnoState -Key n -Value ((Get-AgnoState -Key n) + 1) }
        $run = Invoke-AgnoWorkflow (New-AgnoLoop never $inc -Until { $false } -MaxIterations 3) -Session $session -PassThru -WarningVariable warned 3>$null
        $run.Status | Should -Be 'Completed'
        Get-AgnoState -Session $session -Key n | Should -Be 3
        "$warned" | Should -Match "\[never\] Loop 'never' reached its maximum of 3 iterations"
        $err = Get-ThrownError { Invoke-AgnoWorkflow (New-AgnoLoop strict $inc -Until { $false } -MaxIterations 2 -FailOnMaxIterations) -Session $session }
        $err.FullyQualifiedErrorId | Should -BeLike 'AgnoLoopLimit,*'
        $err.CategoryInfo.Category | Should -Be 'LimitsExceeded'
    }
}

Describe 'New-AgnoRouter (item 7)' {
    BeforeAll {
        $routes = @{
            windows = New-AgnoStep patch-windows { Set-AgnoState -Key patched -Value 'windows' }
            linux   = New-AgnoStep patch-linux { Set-AgnoState -Key patched -Value 'linux' }
            report  = @((New-AgnoStep collect { Set-AgnoState -Key report -Value 1 }), (New-AgnoStep send { Set-AgnoState -Key sent -Value 1 }))
        }
    }

    It 'runs the route the selector names, and several in the order named' {
        $session = New-AgnoSession -State @{ os = 'linux' }
        $router = New-AgnoRouter by-os -Selector { Get-AgnoState -Key os } -Route $routes
        $run = Invoke-AgnoWorkflow $router -Session $session -PassThru
        Get-AgnoState -Session $session -Key patched | Should -Be 'linux'
        $run.Root.Decision | Should -Be 'linux'

        $both = New-AgnoRouter both -Selector { 'report'; 'windows' } -Route $routes
        $run = Invoke-AgnoWorkflow $both -Session $session -PassThru
        $run.Root.Children.Name | Should -Be @('report', 'windows')
        Get-AgnoState -Session $session -Key patched | Should -Be 'windows'
        Get-AgnoState -Session $session -Key sent | Should -Be 1
    }

    It 'fails on an unknown route, listing the known ones' {
        $session = New-AgnoSession
        $err = Get-ThrownError { Invoke-AgnoWorkflow (New-AgnoRouter by-os -Selector { 'macos' } -Route $routes) -Session $session }
        $err.FullyQualifiedErrorId | Should -BeLike 'AgnoRouteNotFound,*'
        $err.Exception.Message | Should -Match "no route 'macos'"
        foreach ($known in 'windows', 'linux', 'report') { $err.Exception.Message | Should -Match "'$known'" }
    }
}

Describe 'Control flow nests anywhere (item 8)' {
    It 'runs a loop in a parallel branch, a condition in a loop and a router in a condition (<Isolation>)' -ForEach @(
        @{ Isolation = 'Runspace' }, @{ Isolation = 'Inline' }
    ) {
        $session = New-AgnoSession -State @{ a = 0; b = 0 }
        $loopA = New-AgnoLoop loop-a @(
            New-AgnoCondition odd -Condition { (Get-AgnoState -Key a) % 2 -eq 0 } -Then (New-AgnoStep inc-a { Set-AgnoState -Key a -Value ((Get-AgnoState -Key a) + 1) }) -Else (
                New-AgnoRouter pick -Selector { 'twice' } -Route @{ twice = New-AgnoStep inc-a2 { Set-AgnoState -Key a -Value ((Get-AgnoState -Key a) + 2) } })
        ) -MaxIterations 3
        $stepB = New-AgnoStep set-b { Set-AgnoState -Key b -Value 7 }
        $run = Invoke-AgnoWorkflow (New-AgnoWorkflow w (New-AgnoParallel fan $loopA, $stepB)) -Session $session -Isolation $Isolation -PassThru
        # iteration 1: 0 -> 1 (Then); 2: 1 -> 3 (Else, router); 3: 3 -> 5 (Else)
        Get-AgnoState -Session $session -Key a | Should -Be 5
        Get-AgnoState -Session $session -Key b | Should -Be 7
        $run.Status | Should -Be 'Completed'
    }
}

Describe 'Stop-AgnoWorkflow (item 10)' {
    It 'commits the step, ends the run as Stopped with the reason, and runs nothing after' {
        $session = New-AgnoSession
        $wf = New-AgnoWorkflow nightly @(
            New-AgnoStep check { Set-AgnoState -Key checked -Value 1; Stop-AgnoWorkflow -Reason 'nothing to patch tonight'; Set-AgnoState -Key after-stop -Value 1 }
            New-AgnoStep patch { Set-AgnoState -Key patched -Value 1 }
        )
        $run = Invoke-AgnoWorkflow $wf -Session $session -PassThru
        $run.Status | Should -Be 'Stopped'
        $run.StopReason | Should -Be 'nothing to patch tonight'
        $session.State.Keys | Should -Be @('checked')
        ($run.Steps | Where-Object Name -EQ 'patch').Status | Should -Be 'Pending'
    }

    It 'is not continued by -Resume: there is nothing to resume, so it warns and runs from the start' {
        $session = New-AgnoSession -State @{ runs = 0 }
        $wf = New-AgnoWorkflow nightly (New-AgnoStep count { Set-AgnoState -Key runs -Value ((Get-AgnoState -Key runs) + 1); Stop-AgnoWorkflow })
        Invoke-AgnoWorkflow $wf -Session $session
        Invoke-AgnoWorkflow $wf -Session $session -Resume -WarningVariable warned 3>$null
        Get-AgnoState -Session $session -Key runs | Should -Be 2
        "$warned" | Should -Match 'nothing to resume'
    }

    It 'lets a parallel node''s other branches finish and merge before the run ends' {
        $session = New-AgnoSession
        $fan = New-AgnoParallel fan (New-AgnoStep stopper { Stop-AgnoWorkflow 'enough' }), (New-AgnoStep worker { Set-AgnoState -Key worked -Value 1 })
        $run = Invoke-AgnoWorkflow (New-AgnoWorkflow w $fan, (New-AgnoStep later { Set-AgnoState -Key later -Value 1 })) -Session $session -PassThru
        $run.Status | Should -Be 'Stopped'
        Get-AgnoState -Session $session -Key worked | Should -Be 1
        $session.State.ContainsKey('later') | Should -BeFalse
    }

    It 'is an error outside a step' {
        $null = New-AgnoSession
        (Get-ThrownError { Stop-AgnoWorkflow }).FullyQualifiedErrorId | Should -BeLike 'AgnoNotInStep,*'
    }
}

Describe 'Control flow survives -Resume (all checkpointed)' {
    It 'resumes a run killed in a loop''s third iteration in its third iteration, on a stored session' {
        $store = Join-Path (New-TestDirectory) 'loop.db'
        $script = @'
param($ModulePath, $Store, $Mode)
Import-Module $ModulePath
$session = New-AgnoSession -SessionId poll -Store $Store -Force
$body = New-AgnoStep work {
    $i = (Get-AgnoState -Key iterations) + 1
    if ($i -eq 3 -and $using:Mode -eq 'first') { [Console]::Out.WriteLine('in-third'); [Console]::Out.Flush(); Start-Sleep -Seconds 300 }
    Set-AgnoState -Key iterations -Value $i
    Set-AgnoState -Key "ran_$i" -Value ((Get-AgnoState -Key "ran_$i" -ErrorAction SilentlyContinue) + 1)
}
$wf = New-AgnoWorkflow nightly @(
    New-AgnoStep init { Set-AgnoState -Key iterations -Value 0 }
    New-AgnoLoop poll $body -Until { (Get-AgnoState -Key iterations) -ge 4 } -MaxIterations 10
)
if ($Mode -eq 'first') { Invoke-AgnoWorkflow $wf }
else {
    $run = Invoke-AgnoWorkflow $wf -Resume -PassThru
    "status=$($run.Status)"
    "ran=" + ((1..4 | ForEach-Object { Get-AgnoState -Key "ran_$_" }) -join ',')
    "skipped=" + (($run.Steps | Where-Object Status -EQ 'Skipped' | ForEach-Object Path) -join ',')
}
'@
        $first = Start-ChildPwsh $script -ArgumentList $store, 'first'
        try {
            Read-ChildLine $first | Should -Be 'in-third'
            $first.Kill()
            $null = $first.WaitForExit(10000)
        }
        finally { Stop-ChildPwsh $first }

        $out = Invoke-ChildPwsh $script -ArgumentList $store, 'resume'
        $out | Should -Contain 'status=Completed'
        $out | Should -Contain 'ran=1,1,1,1' -Because 'iterations 1 and 2 were not run again, 3 ran once, and 4 after it'
        ($out | Where-Object { $_ -like 'skipped=*' }) | Should -Match 'nightly/init' -Because 'the step before the loop completed in the first run'
        ($out | Where-Object { $_ -like 'skipped=*' }) | Should -Match 'nightly/poll/#2/work'
    }

    It 'takes the branch a condition took before, in a session without a store, after a failure' {
        $session = New-AgnoSession -State @{ mode = 'a'; attempts = 0 }
        $wf = New-AgnoWorkflow nightly @(
            New-AgnoCondition pick -Condition { (Get-AgnoState -Key mode) -eq 'a' } `
                -Then @((New-AgnoStep flip { Set-AgnoState -Key mode -Value 'b' }), (New-AgnoStep fragile { if ((Get-AgnoState -Key attempts) -eq 0) { throw 'not yet' } ; Set-AgnoState -Key path -Value 'then' })) `
                -Else (New-AgnoStep other { Set-AgnoState -Key path -Value 'else' })
        )
        $null = Get-ThrownError { Invoke-AgnoWorkflow $wf -Session $session }
        Set-AgnoState -Session $session -Key attempts -Value 1
        $run = Invoke-AgnoWorkflow $wf -Session $session -Resume -PassThru
        Get-AgnoState -Session $session -Key path | Should -Be 'then' -Because 'the condition is not asked again: mode is b by now, but Then was taken'
        ($run.Steps | Where-Object Name -EQ 'flip').Status | Should -Be 'Skipped'
    }
}

Describe 'ConvertTo-AgnoMermaid draws control flow' {
    It 'draws a condition and a router as decisions with labeled edges, and a loop as a box that goes again' {
        $wf = New-AgnoWorkflow nightly @(
            New-AgnoCondition full -Condition { $true } -Then (New-AgnoStep alert { }) -Else (New-AgnoStep fine { })
            New-AgnoLoop poll (New-AgnoStep check { }) -Until { $true } -MaxIterations 5
            New-AgnoRouter by-os -Selector { 'linux' } -Route @{ linux = New-AgnoStep patch-linux { } }
        )
        $text = ConvertTo-AgnoMermaid -Workflow $wf
        $ids = @{}
        foreach ($m in [regex]::Matches($text, '(?m)^\s*(\w+)(?:\{"|\["|\[/"|\[\\")(.*?)(?:"\}|"\]|"\\\]|"/\])\s*$')) { $ids[$m.Groups[1].Value] = $m.Groups[2].Value }
        $edges = foreach ($m in [regex]::Matches($text, '(?m)^\s*(\w+) -->(?:\|"(.*?)"\|)? (\w+)\s*$')) {
            '{0} -{1}-> {2}' -f $ids[$m.Groups[1].Value], $m.Groups[2].Value, $ids[$m.Groups[3].Value]
        }
        $text | Should -Match '(?m)^\s+n\d+\{"full"\}$' -Because 'a condition is a decision'
        $text | Should -Match '(?m)^\s+n\d+\{"by-os"\}$'
        $text | Should -Match 'subgraph w\d+\["poll \(until, at most 5\)"\]'
        $edges | Should -Contain 'full -then-> alert'
        $edges | Should -Contain 'full -else-> fine'
        $edges | Should -Contain 'check -again-> check'
        $edges | Should -Contain 'by-os -linux-> patch-linux'
        $edges | Should -Contain 'alert --> check'
        $edges | Should -Contain 'check --> by-os'
    }
}
