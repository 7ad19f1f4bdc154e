BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'AgnoTestSupport.psm1') -Force
    Import-AgnoForTest
}

Describe 'AgnoStepFailed' {
    It 'has the step as TargetObject, the inner error kept, and the run attached' {
        $session = New-AgnoSession
        $wf = New-AgnoWorkflow 'w' -Step (New-AgnoStep 'explode' { throw 'boom' })
        $e = Get-ThrownError { Invoke-AgnoWorkflow $wf -Session $session }

        $e.FullyQualifiedErrorId | Should -BeLike 'AgnoStepFailed,*'
        $e.TargetObject | Should -Be 'explode'
        $e.CategoryInfo.Category | Should -Be 'OperationStopped'
        $e.Exception | Should -BeOfType ([Agno.Core.StepFailedException])
        $e.Exception.StepName | Should -Be 'explode'
        $e.Exception.Message | Should -Match "'explode'.*boom"
        $e.Exception.InnerException | Should -BeOfType ([System.Management.Automation.RuntimeException])
        $e.Exception.InnerException.Message | Should -Be 'boom'
        $e.Exception.Run.Status | Should -Be 'Failed'
        $e.Exception.Run.SessionId | Should -Be $session.SessionId
    }

    It 'takes its category from the step''s own error' {
        $wf = New-AgnoWorkflow 'w' -Step (New-AgnoStep 'no-disk' { Write-Error 'disk missing' -Category ResourceUnavailable -ErrorAction Stop })
        $e = Get-ThrownError { Invoke-AgnoWorkflow $wf -Session (New-AgnoSession) }
        $e.FullyQualifiedErrorId | Should -BeLike 'AgnoStepFailed,*'
        $e.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        $e.Exception.InnerException.ErrorRecord.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        $e.Exception.Message | Should -Match 'disk missing'
    }

    It 'keeps a .NET exception a step throws as the inner exception' {
        $wf = New-AgnoWorkflow 'w' -Step (New-AgnoStep 'dotnet' { throw [System.IO.FileNotFoundException]::new('no such file', 'x.txt') })
        $e = Get-ThrownError { Invoke-AgnoWorkflow $wf -Session (New-AgnoSession) }
        $e.FullyQualifiedErrorId | Should -BeLike 'AgnoStepFailed,*'
        $e.Exception.InnerException.ErrorRecord | Should -Not -BeNullOrEmpty
        $original = $e.Exception.InnerException.GetBaseException()
        $original | Should -BeOfType ([System.IO.FileNotFoundException])
        $original.FileName | Should -Be 'x.txt'
    }
}

Describe 'Statement-terminating errors in a step' {
    # Stop-AgnoWorkflow ends a step through an error; were that error caught around the step's code,
    # every statement-terminating error (1/0, a failed .NET call) would end the whole step.
    It 'ends only the statement at a statement-terminating error in a step, as a script does, in runspaces, Inline and pipeline items' {
        $session = New-AgnoSession
        foreach ($isolation in 'Runspace', 'Inline') {
            $failed = $null
            Invoke-AgnoWorkflow (New-AgnoWorkflow w (New-AgnoStep s { 1 / 0; Set-AgnoState -Key "after" -Value 1 })) -Isolation $isolation -ErrorVariable failed -ErrorAction SilentlyContinue
            Get-AgnoState -Session $session -Key after | Should -Be 1 -Because "under $isolation the step goes on after the failed statement"
            "$failed" | Should -Match 'divide by zero'
            Remove-AgnoState -Session $session -Key after
        }
        1..2 | Invoke-AgnoParallel { 1 / 0; Set-AgnoState -Key "item$_" -Value 1 } -ErrorAction SilentlyContinue
        @(Get-AgnoState -Session $session).Key | Sort-Object | Should -Be @('item1', 'item2')
    }
}

Describe 'AgnoParallelFailed' {
    It 'names the failed branch, keeps its inner error, cancels a running sibling promptly and merges nothing' {
        $sleeping = New-SharedObject ([System.Threading.ManualResetEventSlim]::new($false))
        try {
            $session = New-AgnoSession
            $sleeper = New-AgnoStep 'sleeper' {
                Set-AgnoState -Key sleeper -Value 1
                [AppDomain]::CurrentDomain.GetData($using:sleeping).Set()
                Start-Sleep -Seconds 60
            }
            $failer = New-AgnoStep 'failer' {
                if (-not [AppDomain]::CurrentDomain.GetData($using:sleeping).Wait(30000)) { throw 'the sleeper never started' }
                throw 'failer broke'
            }
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            $e = Get-ThrownError { Invoke-AgnoParallel -Session $session -Name 'fan' -Step $sleeper, $failer }

            $clock.Elapsed.TotalSeconds | Should -BeLessThan 10
            $e.FullyQualifiedErrorId | Should -BeLike 'AgnoParallelFailed,*'
            $e.CategoryInfo.Category | Should -Be 'OperationStopped'
            $e.TargetObject | Should -Be 'fan'
            $e.Exception.Message | Should -Match "'failer'.*failer broke"
            $e.Exception.Failures.Count | Should -Be 1
            $e.Exception.Failures[0].Branch | Should -Be 'failer'
            $e.Exception.Failures[0].Index | Should -Be 1
            $e.Exception.Failures[0].Error | Should -BeOfType ([Agno.Core.StepFailedException])
            $e.Exception.Failures[0].Error.InnerException.Message | Should -Be 'failer broke'
            $e.Exception.InnerException.InnerException.Message | Should -Be 'failer broke'
            $session.State.Count | Should -Be 0
            $statuses = @{}
            $e.Exception.Run.Steps | ForEach-Object { $statuses[$_.Name] = [string] $_.Status }
            $statuses['sleeper'] | Should -Be 'Cancelled'
            $statuses['failer'] | Should -Be 'Failed'
        }
        finally {
            Remove-SharedObject $sleeping
        }
    }

    It 'is what a workflow throws for its failed parallel node, with the parallel as TargetObject' {
        $session = New-AgnoSession
        $p = New-AgnoParallel 'inner-fan' -Step (New-AgnoStep 'ok' { 1 }), (New-AgnoStep 'bad' { throw 'bad branch' })
        $wf = New-AgnoWorkflow 'w' -Step (New-AgnoStep 'setup' { Set-AgnoState -Key setup -Value 1 }), $p
        $e = Get-ThrownError { Invoke-AgnoWorkflow $wf -Session $session }
        $e.FullyQualifiedErrorId | Should -BeLike 'AgnoParallelFailed,*'
        $e.TargetObject | Should -Be 'inner-fan'
        $e.Exception.Failures.Branch | Should -Contain 'bad'
        Get-AgnoState -Session $session -Key setup | Should -Be 1
    }

    It 'names only the branch that failed, not a sibling it cancelled before that sibling ran' {
        foreach ($attempt in 1..6) {
            $p = New-AgnoParallel 'inner-fan' -Step (New-AgnoStep 'ok' { 1 }), (New-AgnoStep 'bad' { throw 'bad branch' })
            $wf = New-AgnoWorkflow 'w' -Step (New-AgnoStep 'setup' { 1 }), $p
            $e = Get-ThrownError { Invoke-AgnoWorkflow $wf -Session (New-AgnoSession) }
            $e.Exception.Failures.Branch | Should -Be 'bad'
            $e.Exception.Message | Should -Not -Match 'currently stopping'
            ($e.Exception.Run.Steps | Where-Object Name -EQ 'ok').Status | Should -BeIn @('Completed', 'Cancelled')
        }
    }
}

Describe 'AgnoMergeConflict' {
    It 'has category InvalidResult, the parallel as TargetObject and every conflict on the exception' {
        $session = New-AgnoSession
        $e = Get-ThrownError {
            Invoke-AgnoParallel -Session $session -Name 'writers' -MergeStrategy Fail -ScriptBlock @(
                { Set-AgnoState -Key shared -Value 1; Set-AgnoState -Key other -Value 'a' }
                { Set-AgnoState -Key shared -Value 2; Set-AgnoState -Key other -Value 'b' }
                { Set-AgnoState -Key mine -Value 3 }
            )
        }
        $e.FullyQualifiedErrorId | Should -BeLike 'AgnoMergeConflict,*'
        $e.CategoryInfo.Category | Should -Be 'InvalidResult'
        $e.TargetObject | Should -Be 'writers'
        $e.Exception | Should -BeOfType ([Agno.Core.MergeConflictException])
        @($e.Exception.Conflicts.Key | Sort-Object) | Should -Be @('other', 'shared')
        $e.Exception.Conflicts[0].Branches | Should -Be @('Branch1', 'Branch2')
        $e.Exception.Conflicts[0].Winner | Should -BeNullOrEmpty
        $session.State.Count | Should -Be 0
    }
}

Describe 'AgnoReducerFailed' {
    It 'names the key and the branch, keeps the reducer''s error, and merges nothing' {
        $session = New-AgnoSession
        $e = Get-ThrownError {
            Invoke-AgnoParallel -Session $session -Reducer @{ total = { param($base, $current, $incoming) throw 'reducer broke' } } -ScriptBlock @(
                { Set-AgnoState -Key total -Value 1; Set-AgnoState -Key unrelated -Value 1 }
            )
        }
        $e.FullyQualifiedErrorId | Should -BeLike 'AgnoReducerFailed,*'
        $e.CategoryInfo.Category | Should -Be 'InvalidResult'
        $e.TargetObject | Should -Be 'total'
        $e.Exception.Message | Should -Match "'total'"
        $e.Exception.Branch | Should -Be 'Branch1'
        $e.Exception.InnerException.Message | Should -Match 'reducer broke'
        $session.State.Count | Should -Be 0
    }

    It 'refuses a reducer name that does not exist, listing the built-in ones' {
        { Invoke-AgnoParallel -Session (New-AgnoSession) { 1 } -Reducer @{ k = 'Average' } } |
            Should -Throw -ErrorId 'AgnoInvalidArgument*' -ExpectedMessage '*Average*Append*Sum*'
    }

    It 'refuses a reducer that is neither a name nor a scriptblock' {
        { New-AgnoParallel 'p' -Step (New-AgnoStep 's' { 1 }) -Reducer @{ k = 42 } } |
            Should -Throw -ErrorId 'AgnoInvalidArgument*' -ExpectedMessage "*'k'*"
    }
}

Describe 'AgnoStateValueRefused and AgnoStateKeyNotFound' {
    It 'AgnoStateValueRefused has category InvalidArgument and the key as TargetObject' {
        $session = New-AgnoSession
        Set-AgnoState -Session $session -Key code -Value { 1 } -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'AgnoStateValueRefused,*'
        $errs[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $errs[0].TargetObject | Should -Be 'code'
        $errs[0].Exception | Should -BeOfType ([Agno.Core.ValueRefusedException])
        $errs[0].Exception.Key | Should -Be 'code'
        $errs[0].Exception.Reason | Should -Match 'ScriptBlock'
    }

    It 'AgnoStateValueRefused is what a step gets for a value that cannot be stored, failing the step' {
        $session = New-AgnoSession
        $wf = New-AgnoWorkflow 'w' -Step (New-AgnoStep 'stores-code' { Set-AgnoState -Key code -Value { 1 } -ErrorAction Stop })
        $e = Get-ThrownError { Invoke-AgnoWorkflow $wf -Session $session }
        $e.FullyQualifiedErrorId | Should -BeLike 'AgnoStepFailed,*'
        $e.Exception.InnerException.ErrorRecord.FullyQualifiedErrorId | Should -BeLike 'AgnoStateValueRefused*'
        $session.State.Count | Should -Be 0
    }

    It 'AgnoStateKeyNotFound has category ObjectNotFound and the key as TargetObject, from Get and Remove' {
        $session = New-AgnoSession
        Get-AgnoState -Session $session -Key nope -ErrorVariable getErrors -ErrorAction SilentlyContinue
        Remove-AgnoState -Session $session -Key nope -ErrorVariable removeErrors -ErrorAction SilentlyContinue
        foreach ($err in $getErrors[0], $removeErrors[0]) {
            $err.FullyQualifiedErrorId | Should -BeLike 'AgnoStateKeyNotFound,*'
            $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $err.TargetObject | Should -Be 'nope'
            $err.Exception | Should -BeOfType ([Agno.Core.AgnoException])
            $err.Exception.Message | Should -Match "'nope'"
        }
    }
}

Describe 'Invalid nodes are refused with clear errors' {
    It 'refuses two branches with the same name (case-insensitively), naming it, in <Command>' -ForEach @(
        @{ Command = 'New-AgnoParallel' }
        @{ Command = 'Invoke-AgnoParallel' }
    ) {
        $one = New-AgnoStep 'fetch' { 1 }
        $two = New-AgnoStep 'FETCH' { 2 }
        $session = New-AgnoSession
        $action = if ($Command -eq 'New-AgnoParallel') { { New-AgnoParallel 'p' -Step $one, $two } } else { { Invoke-AgnoParallel -Session $session -Step $one, $two } }
        $action | Should -Throw -ErrorId 'AgnoInvalidArgument*' -ExpectedMessage "*already has a branch named 'FETCH'*"
        $session.History.Count | Should -Be 0
    }

    It 'has the offending branch or key as TargetObject, and no C# parameter name in the message' {
        $e = Get-ThrownError { New-AgnoParallel 'p' -Step (New-AgnoStep 'fetch' { 1 }), (New-AgnoStep 'fetch' { 2 }) }
        $e.TargetObject | Should -BeIn @('fetch', 'p')
        $e.Exception.Message | Should -Not -Match "\(Parameter 'node'\)"
        $e = Get-ThrownError { Invoke-AgnoParallel -Session (New-AgnoSession) { 1 } -Reducer @{ k = 'Average' } }
        $e.TargetObject | Should -Be 'k'
        $e.Exception.Message | Should -Not -Match "\(Parameter 'name'\)"
    }

    It 'refuses two steps with the same name in a workflow, naming it, before running any step' {
        $session = New-AgnoSession
        {
            $wf = New-AgnoWorkflow 'w' -Step (New-AgnoStep 'load' { Set-AgnoState -Key ran -Value 1 }), (New-AgnoStep 'LOAD' { 2 })
            Invoke-AgnoWorkflow $wf -Session $session
        } | Should -Throw -ExpectedMessage "*'LOAD'*"
        $session.State.ContainsKey('ran') | Should -BeFalse
    }

    It 'refuses $null in -Step of <Command>, naming the parameter' -ForEach @(
        @{ Command = 'New-AgnoParallel'; Action = { New-AgnoParallel 'p' -Step (New-AgnoStep 's' { 1 }), $null } }
        @{ Command = 'New-AgnoWorkflow'; Action = { New-AgnoWorkflow 'w' -Step $null, (New-AgnoStep 's' { 1 }) } }
        @{ Command = 'Invoke-AgnoParallel'; Action = { Invoke-AgnoParallel -Session (New-AgnoSession) -Step (New-AgnoStep 's' { 1 }), $null } }
    ) {
        $Action | Should -Throw -ExpectedMessage "*'Step'*null*"
    }

    It 'refuses $null in Invoke-AgnoParallel -ScriptBlock, naming the parameter' {
        { Invoke-AgnoParallel -Session (New-AgnoSession) -ScriptBlock { 1 }, $null } | Should -Throw -ExpectedMessage "*'ScriptBlock'*null*"
    }

    It 'refuses an empty -Step' {
        { New-AgnoWorkflow 'w' -Step @() } | Should -Throw -ExpectedMessage "*'Step'*"
    }

    It 'refuses a Then-chain that loops back on itself' {
        $a = New-AgnoStep 'a' { 1 }
        $b = New-AgnoStep 'b' { 2 }
        $null = $a.Then($b)
        { $b.Then($a) } | Should -Throw -ExpectedMessage "*chained after itself*"
        $b.Next | Should -BeNullOrEmpty
    }

    It 'refuses $using: of a variable the caller does not have, naming it' {
        { New-AgnoStep 's' { $using:agnoNoSuchVariable.Property } -ErrorAction Stop } | Should -Throw -ExpectedMessage '*agnoNoSuchVariable*'
    }
}
