BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'AgnoTestSupport.psm1') -Force
    Import-AgnoForTest
}

Describe 'The seed''s examples, in PowerShell' {
    It 'basic use: a session with ids and input, values read back with their types' {
        $session = New-AgnoSession -Input 'initial input' -SessionId 'session-123' -UserId 'user-456'
        Set-AgnoState -Key user_name -Value 'Alice'
        Set-AgnoState -Key user_age -Value 30
        Set-AgnoState -Key preferences -Value @{ language = 'zh-CN'; theme = 'dark' }

        Get-AgnoState -Key user_name | Should -BeExactly 'Alice'
        $age = Get-AgnoState -Key user_age
        $age | Should -BeOfType [int]
        $age | Should -Be 30
        (Get-AgnoState -Key preferences).theme | Should -Be 'dark'
        $session.SessionId | Should -Be 'session-123'
        $session.UserId | Should -Be 'user-456'
        $session.Input | Should -Be 'initial input'
    }

    It 'workflow: get-user then get-orders, chained with Then, share state' {
        $step1 = New-AgnoStep 'get-user' {
            Set-AgnoState -Key user_info -Value @{ id = 'user-123'; name = 'Alice'; email = 'alice@example.com' }
        }
        $step2 = New-AgnoStep 'get-orders' {
            $userInfo = Get-AgnoState -Key user_info -ErrorAction Stop
            $orders = @('order-1', 'order-2', 'order-3')
            Set-AgnoState -Key orders -Value $orders
            "Got $($orders.Count) orders for user $($userInfo.id)"
        }
        $null = $step1.Then($step2)
        $wf = New-AgnoWorkflow 'user-workflow' -Step $step1
        $session = New-AgnoSession -Input '' -SessionId 'session-123' -UserId 'user-456'

        $out = Invoke-AgnoWorkflow $wf -Session $session

        $out | Should -Be 'Got 3 orders for user user-123'
        $orders = Get-AgnoState -Session $session -Key orders
        $orders.GetType() | Should -Be ([object[]])
        $orders | Should -Be @('order-1', 'order-2', 'order-3')
        $session.Output | Should -Be 'Got 3 orders for user user-123'
    }

    It 'parallel: three branches writing counter give 3 (the last branch in order), every result, and one recorded conflict' {
        $branches = foreach ($pair in @(@('branch-a', 1), @('branch-b', 2), @('branch-c', 3))) {
            $name, $n = $pair
            New-AgnoStep $name {
                param($n, $resultKey)
                Set-AgnoState -Key counter -Value $n
                Set-AgnoState -Key $resultKey -Value 'done'
            } -ArgumentList $n, ($name.Replace('-', '_') + '_result')
        }
        $session = New-AgnoSession -Input '' -SessionId 'session-123' -UserId 'user-456'

        $run = Invoke-AgnoParallel -Session $session -Step $branches -PassThru

        Get-AgnoState -Session $session -Key counter | Should -Be 3
        Get-AgnoState -Session $session -Key branch_a_result | Should -Be 'done'
        Get-AgnoState -Session $session -Key branch_b_result | Should -Be 'done'
        Get-AgnoState -Session $session -Key branch_c_result | Should -Be 'done'
        $run.Conflicts.Count | Should -Be 1
        $run.Conflicts[0].Key | Should -Be 'counter'
        $run.Conflicts[0].Branches | Should -Be @('branch-a', 'branch-b', 'branch-c')
        $run.Conflicts[0].Winner | Should -Be 'branch-c'
    }

    It 'parallel: the result is the same on every run (no race)' {
        $sb = { param($n) Set-AgnoState -Key counter -Value $n }
        foreach ($attempt in 1..5) {
            $session = New-AgnoSession
            $steps = 1..3 | ForEach-Object { New-AgnoStep "b$_" $sb -ArgumentList $_ }
            Invoke-AgnoParallel -Session $session -Step $steps
            Get-AgnoState -Session $session -Key counter | Should -Be 3
        }
    }
}

Describe 'A sequential workflow commits each step before the next' {
    It 'lets a step read what the step before it wrote' {
        $session = New-AgnoSession
        $wf = New-AgnoWorkflow 'w' -Step @(
            New-AgnoStep 'one' { Set-AgnoState -Key n -Value 1 }
            New-AgnoStep 'two' { Set-AgnoState -Key n -Value ((Get-AgnoState -Key n) + 1) }
            New-AgnoStep 'three' { Set-AgnoState -Key n -Value ((Get-AgnoState -Key n) * 10) }
        )
        Invoke-AgnoWorkflow $wf -Session $session
        Get-AgnoState -Session $session -Key n | Should -Be 20
    }

    It 'on failure keeps the completed steps'' changes and throws AgnoStepFailed naming the step' {
        $session = New-AgnoSession
        $wf = New-AgnoWorkflow 'etl' -Step @(
            New-AgnoStep 'fetch' { Set-AgnoState -Key fetched -Value $true }
            New-AgnoStep 'transform' { Set-AgnoState -Key transformed -Value 'partial'; throw 'transform broke' }
            New-AgnoStep 'report' { Set-AgnoState -Key reported -Value $true }
        )

        { Invoke-AgnoWorkflow $wf -Session $session } |
            Should -Throw -ErrorId 'AgnoStepFailed*' -ExpectedMessage "*'transform'*transform broke*"

        Get-AgnoState -Session $session -Key fetched | Should -BeTrue
        $session.State.ContainsKey('transformed') | Should -BeFalse
        $session.State.ContainsKey('reported') | Should -BeFalse
        $run = $session.History[-1]
        $run.Status | Should -Be 'Failed'
        $run.Steps.Name | Should -Be @('fetch', 'transform', 'report')
        $run.Steps.Status | Should -Be @('Completed', 'Failed', 'Pending')
    }

    It 'runs a Then-chain given as one step in order' {
        $session = New-AgnoSession
        $a = New-AgnoStep 'a' { Set-AgnoState -Key trail -Value @('a') }
        $b = New-AgnoStep 'b' { Set-AgnoState -Key trail -Value (@(Get-AgnoState -Key trail) + 'b') }
        $c = New-AgnoStep 'c' { Set-AgnoState -Key trail -Value (@(Get-AgnoState -Key trail) + 'c') }
        $returned = $a.Then($b)
        [object]::ReferenceEquals($returned, $b) | Should -BeTrue
        $null = $returned.Then($c)
        Invoke-AgnoWorkflow (New-AgnoWorkflow 'chain' -Step $a) -Session $session
        (Get-AgnoState -Session $session -Key trail) | Should -Be @('a', 'b', 'c')
    }

    It 'binds -Session from the pipeline and updates that session in place' {
        $target = New-AgnoSession
        $current = New-AgnoSession
        $wf = New-AgnoWorkflow 'w' -Step (New-AgnoStep 's' { Set-AgnoState -Key k -Value 'v' })
        $target | Invoke-AgnoWorkflow $wf
        Get-AgnoState -Session $target -Key k | Should -Be 'v'
        $current.State.ContainsKey('k') | Should -BeFalse
    }

    It 'runs on the current session when -Session is omitted' {
        $session = New-AgnoSession
        Invoke-AgnoWorkflow (New-AgnoWorkflow 'w' -Step (New-AgnoStep 's' { Set-AgnoState -Key k -Value 1 }))
        Get-AgnoState -Session $session -Key k | Should -Be 1
    }
}

Describe 'Each step is atomic' {
    It 'leaves no partial change when a step fails: sets and removals are all discarded (<Isolation>)' -ForEach @(
        @{ Isolation = 'Runspace' }
        @{ Isolation = 'Inline' }
    ) {
        $session = New-AgnoSession
        Set-AgnoState -Session $session -InputObject @{ keep = 'original'; doomed = 'still here' }
        $step = New-AgnoStep 'half-done' {
            Set-AgnoState -Key keep -Value 'changed'
            Set-AgnoState -Key added -Value 1
            Remove-AgnoState -Key doomed
            throw 'failed half way'
        }
        { Invoke-AgnoWorkflow (New-AgnoWorkflow 'w' -Step $step) -Session $session -Isolation $Isolation } | Should -Throw -ErrorId 'AgnoStepFailed*'
        Get-AgnoState -Session $session -Key keep | Should -Be 'original'
        Get-AgnoState -Session $session -Key doomed | Should -Be 'still here'
        $session.State.ContainsKey('added') | Should -BeFalse
    }

    It 'commits every change of a step that completes, removals included' {
        $session = New-AgnoSession
        Set-AgnoState -Session $session -Key doomed -Value 1
        Invoke-AgnoParallel -Session $session { Set-AgnoState -Key a -Value 1; Remove-AgnoState -Key doomed }
        Get-AgnoState -Session $session -Key a | Should -Be 1
        $session.State.ContainsKey('doomed') | Should -BeFalse
    }
}

Describe 'Parallel branches merge deterministically, in branch order' {
    It 'merges in branch order even when branch 1 finishes last (<Strategy>)' -ForEach @(
        @{ Strategy = 'LastWriteWins'; Expected = 'third' }
        @{ Strategy = 'FirstWriteWins'; Expected = 'first' }
    ) {
        # second runs freely and opens gate B; third waits for B and opens gate A; first waits for A.
        # So they finish second, third, first: the reverse of branch order for first and third.
        $gateA = New-SharedObject ([System.Threading.ManualResetEventSlim]::new($false))
        $gateB = New-SharedObject ([System.Threading.ManualResetEventSlim]::new($false))
        $finished = New-SharedObject ([System.Collections.Concurrent.ConcurrentQueue[string]]::new())
        try {
            $session = New-AgnoSession
            Set-AgnoState -Session $session -Key list -Value @('start')
            $first = New-AgnoStep 'first' {
                if (-not [AppDomain]::CurrentDomain.GetData($using:gateA).Wait(30000)) { throw 'gate A was never opened' }
                Set-AgnoState -Key value -Value 'first'
                Set-AgnoState -Key list -Value (@(Get-AgnoState -Key list) + 'first')
                [AppDomain]::CurrentDomain.GetData($using:finished).Enqueue('first')
            }
            $second = New-AgnoStep 'second' {
                Set-AgnoState -Key value -Value 'second'
                Set-AgnoState -Key list -Value (@(Get-AgnoState -Key list) + 'second')
                [AppDomain]::CurrentDomain.GetData($using:finished).Enqueue('second')
                [AppDomain]::CurrentDomain.GetData($using:gateB).Set()
            }
            $third = New-AgnoStep 'third' {
                if (-not [AppDomain]::CurrentDomain.GetData($using:gateB).Wait(30000)) { throw 'gate B was never opened' }
                Set-AgnoState -Key value -Value 'third'
                Set-AgnoState -Key list -Value (@(Get-AgnoState -Key list) + 'third')
                [AppDomain]::CurrentDomain.GetData($using:finished).Enqueue('third')
                [AppDomain]::CurrentDomain.GetData($using:gateA).Set()
            }

            $run = Invoke-AgnoParallel -Session $session -Step $first, $second, $third -MergeStrategy $Strategy -Reducer @{ list = 'Append' } -PassThru

            [AppDomain]::CurrentDomain.GetData($finished).ToArray() | Should -Be @('second', 'third', 'first')
            Get-AgnoState -Session $session -Key value | Should -Be $Expected
            (Get-AgnoState -Session $session -Key list) | Should -Be @('start', 'first', 'second', 'third')
            $run.Conflicts.Count | Should -Be 1
            $run.Conflicts[0].Branches | Should -Be @('first', 'second', 'third')
            $run.Conflicts[0].Winner | Should -Be $Expected
        }
        finally {
            Remove-SharedObject $gateA, $gateB, $finished
        }
    }

    It 'never lets a branch that did not touch a key overwrite another branch''s change' {
        $session = New-AgnoSession
        Set-AgnoState -Session $session -InputObject @{ a = 'base'; b = 'base' }
        Invoke-AgnoParallel -Session $session -ScriptBlock { Set-AgnoState -Key a -Value 'from 1' }, { Set-AgnoState -Key b -Value 'from 2' }, { 'reads only' }
        Get-AgnoState -Session $session -Key a | Should -Be 'from 1'
        Get-AgnoState -Session $session -Key b | Should -Be 'from 2'
    }

    It 'merges removals' {
        $session = New-AgnoSession
        Set-AgnoState -Session $session -InputObject @{ gone = 1; stays = 2 }
        $run = Invoke-AgnoParallel -Session $session -ScriptBlock { Remove-AgnoState -Key gone }, { Set-AgnoState -Key stays -Value 3 } -PassThru
        $session.State.ContainsKey('gone') | Should -BeFalse
        Get-AgnoState -Session $session -Key stays | Should -Be 3
        $run.Conflicts.Count | Should -Be 0
    }

    It 'records no conflict when branches set a key to the same value' {
        $session = New-AgnoSession
        $run = Invoke-AgnoParallel -Session $session -ScriptBlock { Set-AgnoState -Key same -Value @{ x = 1 } }, { Set-AgnoState -Key same -Value @{ x = 1 } } -PassThru
        $run.Conflicts.Count | Should -Be 0
        (Get-AgnoState -Session $session -Key same).x | Should -Be 1
    }

    It 'gives the same merge under -Isolation Inline' {
        $session = New-AgnoSession
        $run = Invoke-AgnoParallel -Session $session -Isolation Inline -PassThru -ScriptBlock @(
            { Set-AgnoState -Key counter -Value 1; Set-AgnoState -Key r1 -Value 'done' }
            { Set-AgnoState -Key counter -Value 2; Set-AgnoState -Key r2 -Value 'done' }
            { Set-AgnoState -Key counter -Value 3; Set-AgnoState -Key r3 -Value 'done' }
        )
        Get-AgnoState -Session $session -Key counter | Should -Be 3
        @(Get-AgnoState -Session $session -Key 'r*').Count | Should -Be 3
        $run.Conflicts.Count | Should -Be 1
    }

    It 'sets the session Output to the branches'' outputs in branch order' {
        $gate = New-SharedObject ([System.Threading.ManualResetEventSlim]::new($false))
        try {
            $session = New-AgnoSession
            Invoke-AgnoParallel -Session $session -ScriptBlock {
                if (-not [AppDomain]::CurrentDomain.GetData($using:gate).Wait(30000)) { throw 'gate never opened' }
                'one'
            }, { 'two'; [AppDomain]::CurrentDomain.GetData($using:gate).Set() } | Out-Null
            $session.Output | Should -Be @('one', 'two')
        }
        finally {
            Remove-SharedObject $gate
        }
    }
}

Describe 'Merge strategies' {
    BeforeAll {
        function New-CounterBranches {
            foreach ($n in 1..3) {
                New-AgnoStep "branch-$n" { param($n) Set-AgnoState -Key counter -Value $n; Set-AgnoState -Key "result_$n" -Value 'done' } -ArgumentList $n
            }
        }
    }

    It 'FirstWriteWins keeps the first branch''s value and records the conflict' {
        $session = New-AgnoSession
        $run = Invoke-AgnoParallel -Session $session -Step (New-CounterBranches) -MergeStrategy FirstWriteWins -PassThru
        Get-AgnoState -Session $session -Key counter | Should -Be 1
        Get-AgnoState -Session $session -Key result_3 | Should -Be 'done'
        $run.Conflicts[0].Winner | Should -Be 'branch-1'
        $run.Conflicts[0].Strategy | Should -Be 'FirstWriteWins'
    }

    It 'Fail throws AgnoMergeConflict naming the key and branches, and merges nothing' {
        $session = New-AgnoSession
        Set-AgnoState -Session $session -Key counter -Value 0
        { Invoke-AgnoParallel -Session $session -Step (New-CounterBranches) -MergeStrategy Fail -Name 'fan' } |
            Should -Throw -ErrorId 'AgnoMergeConflict*' -ExpectedMessage "*'counter'*'branch-1'*'branch-2'*'branch-3'*"
        Get-AgnoState -Session $session -Key counter | Should -Be 0
        @(Get-AgnoState -Session $session -Key 'result_*').Count | Should -Be 0
    }

    It 'Fail merges normally when there is no conflict' {
        $session = New-AgnoSession
        Invoke-AgnoParallel -Session $session -ScriptBlock { Set-AgnoState -Key a -Value 1 }, { Set-AgnoState -Key b -Value 2 } -MergeStrategy Fail
        Get-AgnoState -Session $session -Key a | Should -Be 1
        Get-AgnoState -Session $session -Key b | Should -Be 2
    }

    It 'New-AgnoParallel takes -MergeStrategy for a workflow' {
        $session = New-AgnoSession
        $p = New-AgnoParallel 'fan' -Step (New-CounterBranches) -MergeStrategy FirstWriteWins
        $p.MergePolicy.Strategy | Should -Be 'FirstWriteWins'
        Invoke-AgnoWorkflow (New-AgnoWorkflow 'w' -Step $p) -Session $session
        Get-AgnoState -Session $session -Key counter | Should -Be 1
    }
}

Describe 'Per-key reducers combine branch values' {
    It 'Append, Sum and a scriptblock reducer combine in branch order' {
        $session = New-AgnoSession
        Set-AgnoState -Session $session -InputObject @{ list = @('start'); n = 10; log = 'x' }
        $a = New-AgnoStep 'a' {
            Set-AgnoState -Key list -Value (@(Get-AgnoState -Key list) + 'a')
            Set-AgnoState -Key n -Value 11
            Set-AgnoState -Key log -Value 'A'
        }
        $b = New-AgnoStep 'b' {
            Set-AgnoState -Key list -Value (@(Get-AgnoState -Key list) + 'b')
            Set-AgnoState -Key n -Value 15
            Set-AgnoState -Key log -Value 'B'
        }
        $reducers = @{
            list   = 'Append'
            n      = 'Sum'
            log = { param($base, $current, $incoming) "$current|$base>$incoming" }
        }

        $run = Invoke-AgnoParallel -Session $session -Step $a, $b -Reducer $reducers -PassThru

        (Get-AgnoState -Session $session -Key list) | Should -Be @('start', 'a', 'b')
        Get-AgnoState -Session $session -Key n | Should -Be 16
        Get-AgnoState -Session $session -Key log | Should -Be 'x|x>A|x>B'
        $run.Conflicts.Count | Should -Be 0
    }

    It 'Max, Min, Union and Merge combine as documented' {
        $session = New-AgnoSession
        Set-AgnoState -Session $session -InputObject @{ hi = 5; lo = 5; tags = @('x'); config = @{ keep = 1; a = 0; b = 0 } }
        $one = New-AgnoStep 'one' {
            Set-AgnoState -Key hi -Value 7; Set-AgnoState -Key lo -Value 3
            Set-AgnoState -Key tags -Value @('x', 'y')
            $c = Get-AgnoState -Key config; $c.a = 1; Set-AgnoState -Key config -Value $c
        }
        $two = New-AgnoStep 'two' {
            Set-AgnoState -Key hi -Value 6; Set-AgnoState -Key lo -Value 4
            Set-AgnoState -Key tags -Value @('x', 'y', 'z')
            $c = Get-AgnoState -Key config; $c.b = 2; Set-AgnoState -Key config -Value $c
        }
        Invoke-AgnoParallel -Session $session -Step $one, $two -Reducer @{ hi = 'Max'; lo = 'Min'; tags = 'Union'; config = 'Merge' }
        Get-AgnoState -Session $session -Key hi | Should -Be 7
        Get-AgnoState -Session $session -Key lo | Should -Be 3
        (Get-AgnoState -Session $session -Key tags) | Should -Be @('x', 'y', 'z')
        $config = Get-AgnoState -Session $session -Key config
        $config.keep | Should -Be 1
        $config.a | Should -Be 1
        $config.b | Should -Be 2
    }

    It 'New-AgnoParallel takes -Reducer for a workflow' {
        $session = New-AgnoSession
        Set-AgnoState -Session $session -Key total -Value 0
        $branches = 1..4 | ForEach-Object { New-AgnoStep "add$_" { param($n) Set-AgnoState -Key total -Value ((Get-AgnoState -Key total) + $n) } -ArgumentList $_ }
        $p = New-AgnoParallel 'adders' -Step $branches -Reducer @{ total = 'Sum' }
        Invoke-AgnoWorkflow (New-AgnoWorkflow 'w' -Step $p) -Session $session
        Get-AgnoState -Session $session -Key total | Should -Be 10
    }
}

Describe '-ErrorPolicy Continue merges the branches that succeeded' {
    It 'merges successful branches and writes each failure as a non-terminating error' {
        $session = New-AgnoSession
        $reached = $false
        $run = Invoke-AgnoParallel -Session $session -ErrorPolicy Continue -PassThru -ErrorVariable failures -ScriptBlock @(
            { Set-AgnoState -Key a -Value 1 }
            { Set-AgnoState -Key b -Value 1; throw 'second broke' }
            { Set-AgnoState -Key c -Value 1 }
            { throw 'fourth broke' }
        ) 2>$null
        $reached = $true

        $reached | Should -BeTrue
        Get-AgnoState -Session $session -Key a | Should -Be 1
        Get-AgnoState -Session $session -Key c | Should -Be 1
        $session.State.ContainsKey('b') | Should -BeFalse
        $failures.Count | Should -Be 2
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'AgnoStepFailed*'
        $failures[0].TargetObject | Should -Be 'Branch2'
        $failures[0].Exception.Message | Should -Match 'second broke'
        $failures[1].TargetObject | Should -Be 'Branch4'
        $run.Status | Should -Be 'CompletedWithErrors'
        $run.Failures.Name | Should -Be @('Branch2', 'Branch4')
    }

    It 'is honoured by New-AgnoParallel inside a workflow, which then goes on' {
        $session = New-AgnoSession
        $p = New-AgnoParallel 'fan' -ErrorPolicy Continue -Step (New-AgnoStep 'ok' { Set-AgnoState -Key ok -Value 1 }), (New-AgnoStep 'bad' { throw 'nope' })
        $after = New-AgnoStep 'after' { Set-AgnoState -Key after -Value 1 }
        Invoke-AgnoWorkflow (New-AgnoWorkflow 'w' -Step $p, $after) -Session $session -ErrorVariable failures -ErrorAction SilentlyContinue
        Get-AgnoState -Session $session -Key ok | Should -Be 1
        Get-AgnoState -Session $session -Key after | Should -Be 1
        $failures.Count | Should -Be 1
        $failures[0].TargetObject | Should -Be 'bad'
    }
}

Describe '-ThrottleLimit bounds how many branches run at once' {
    It 'runs at most, and up to, <Limit> branches at once with <Command>' -ForEach @(
        @{ Command = 'Invoke-AgnoParallel'; Limit = 2 }
        @{ Command = 'New-AgnoParallel'; Limit = 3 }
    ) {
        # Each branch takes a slot that only $Limit exist of (over the limit: a throw), then waits
        # for $Limit branches to meet (under the limit: they never meet and the wait times out).
        $slots = New-SharedObject ([System.Threading.SemaphoreSlim]::new($Limit, $Limit))
        $meeting = New-SharedObject ([System.Threading.Barrier]::new($Limit))
        try {
            $session = New-AgnoSession
            $branches = 1..($Limit * 2) | ForEach-Object {
                New-AgnoStep "b$_" {
                    param($slotsName, $meetingName, $n)
                    $slots = [AppDomain]::CurrentDomain.GetData($slotsName)
                    if (-not $slots.Wait(0)) { throw 'more branches ran at once than the throttle limit' }
                    try {
                        if (-not [AppDomain]::CurrentDomain.GetData($meetingName).SignalAndWait(20000)) { throw 'fewer branches ran at once than the throttle limit' }
                    }
                    finally {
                        $null = $slots.Release()
                    }
                    Set-AgnoState -Key "b$n" -Value $true
                } -ArgumentList $slots, $meeting, $_
            }
            if ($Command -eq 'Invoke-AgnoParallel') {
                Invoke-AgnoParallel -Session $session -Step $branches -ThrottleLimit $Limit
            }
            else {
                Invoke-AgnoWorkflow (New-AgnoWorkflow 'w' -Step (New-AgnoParallel 'p' -Step $branches -ThrottleLimit $Limit)) -Session $session
            }
            @(Get-AgnoState -Session $session -Key 'b*').Count | Should -Be ($Limit * 2)
        }
        finally {
            Remove-SharedObject $slots, $meeting
        }
    }

    It 'refuses a limit below 1' {
        { Invoke-AgnoParallel { 1 } -ThrottleLimit 0 } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        { New-AgnoParallel 'p' -Step (New-AgnoStep 's' { 1 }) -ThrottleLimit 0 } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
    }
}

Describe 'Parallel nodes and workflows nest' {
    It 'runs a parallel inside a workflow inside a parallel, and merges everything' {
        $session = New-AgnoSession
        $innerParallel = New-AgnoParallel 'inner-p' -Step (New-AgnoStep 'x' { Set-AgnoState -Key x -Value 1 }), (New-AgnoStep 'y' { Set-AgnoState -Key y -Value 2 }) -Reducer @{ total = 'Sum' }
        $innerWorkflow = New-AgnoWorkflow 'inner-wf' -Step @(
            New-AgnoStep 'before' { Set-AgnoState -Key before -Value 'done' }
            $innerParallel
            New-AgnoStep 'after' { Set-AgnoState -Key sum -Value ((Get-AgnoState -Key x) + (Get-AgnoState -Key y)) }
        )
        $outer = New-AgnoParallel 'outer' -Step $innerWorkflow, (New-AgnoStep 'z' { Set-AgnoState -Key z -Value 3 })
        $top = New-AgnoWorkflow 'top' -Step $outer, (New-AgnoStep 'last' { Set-AgnoState -Key last -Value ((Get-AgnoState -Key sum) + (Get-AgnoState -Key z)) })

        $run = Invoke-AgnoWorkflow $top -Session $session -PassThru

        Get-AgnoState -Session $session -Key before | Should -Be 'done'
        Get-AgnoState -Session $session -Key sum | Should -Be 3
        Get-AgnoState -Session $session -Key last | Should -Be 6
        $run.Status | Should -Be 'Completed'
        $run.Steps.Path | Should -Contain 'top/outer/inner-wf/inner-p/x'
        $run.Steps.Path | Should -Contain 'top/outer/z'
        ($run.Steps | Where-Object Status -NE 'Completed') | Should -BeNullOrEmpty
    }

    It 'runs a Then-chain as one branch, in order, beside other branches' {
        $session = New-AgnoSession
        $a = New-AgnoStep 'a' { Set-AgnoState -Key chain -Value 'a' }
        $null = $a.Then((New-AgnoStep 'b' { Set-AgnoState -Key chain -Value ((Get-AgnoState -Key chain) + 'b') }))
        Invoke-AgnoParallel -Session $session -Step $a, (New-AgnoStep 'other' { Set-AgnoState -Key other -Value 1 })
        Get-AgnoState -Session $session -Key chain | Should -Be 'ab'
        Get-AgnoState -Session $session -Key other | Should -Be 1
    }
}

Describe 'The run record' {
    It 'is returned by -PassThru after the steps'' output, and added to the session''s history' {
        $session = New-AgnoSession -SessionId 'records'
        $wf = New-AgnoWorkflow 'report' -Step @(
            New-AgnoStep 'load' { Set-AgnoState -Key rows -Value @(1, 2, 3); 'loaded' }
            New-AgnoParallel 'fan' -Step (New-AgnoStep 'left' { Set-AgnoState -Key side -Value 'L' }), (New-AgnoStep 'right' { Set-AgnoState -Key side -Value 'R' })
            New-AgnoStep 'sum' { Set-AgnoState -Key total -Value ((Get-AgnoState -Key rows) | Measure-Object -Sum).Sum }
        )

        $out = @(Invoke-AgnoWorkflow $wf -Session $session -PassThru)

        $out.Count | Should -Be 2
        $out[0] | Should -Be 'loaded'
        $run = $out[-1]
        $run | Should -BeOfType ([Agno.Core.RunRecord])
        $run.Name | Should -Be 'report'
        $run.SessionId | Should -Be 'records'
        $run.Status | Should -Be 'Completed'
        $run.StartedAt | Should -Not -BeNullOrEmpty
        $run.Duration | Should -BeGreaterThan ([timespan]::Zero)
        $run.Error | Should -BeNullOrEmpty
        $run.Steps.Name | Should -Be @('load', 'fan', 'left', 'right', 'sum')
        ($run.Steps | Where-Object Name -EQ 'load').KeysChanged | Should -Be @('rows')
        ($run.Steps | Where-Object Name -EQ 'sum').KeysChanged | Should -Be @('total')
        ($run.Steps | Where-Object Name -EQ 'fan').Kind | Should -Be 'Parallel'
        $run.Conflicts.Count | Should -Be 1
        $run.Conflicts[0].Key | Should -Be 'side'
        $run.Conflicts[0].Winner | Should -Be 'right'
        $session.History.Count | Should -Be 1
        $session.History[0].RunId | Should -Be $run.RunId
    }

    It 'is not written without -PassThru' {
        $session = New-AgnoSession
        $out = Invoke-AgnoParallel -Session $session { Set-AgnoState -Key k -Value 1 }
        $out | Should -BeNullOrEmpty
        $session.History.Count | Should -Be 1
    }
}
