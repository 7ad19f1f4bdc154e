BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'AgnoTestSupport.psm1') -Force
    Import-AgnoForTest

    # Has $Count steps hold pooled runspaces at the same moment, so that the pool has at least
    # that many idle runspaces afterwards and a later run of $Count steps creates none.
    function Initialize-Pool([int] $Count) {
        $meeting = New-SharedObject ([System.Threading.CountdownEvent]::new($Count))
        try {
            $branch = {
                $m = [AppDomain]::CurrentDomain.GetData($using:meeting)
                $null = $m.Signal()
                if (-not $m.Wait(30000)) { throw 'the warm-up branches never all ran at once' }
            }
            Invoke-AgnoParallel -Session (New-AgnoSession) -ScriptBlock (@($branch) * $Count) -ThrottleLimit $Count
        }
        finally {
            Remove-SharedObject $meeting
        }
    }
}

Describe 'New-AgnoStep -TimeoutSeconds' {
    It 'stops a step that overruns and fails it with AgnoTimedOut, leaving the state unchanged' {
        $session = New-AgnoSession
        Set-AgnoState -Session $session -Key value -Value 'before'
        $slow = New-AgnoStep 'slow' { Set-AgnoState -Key value -Value 'during'; Set-AgnoState -Key added -Value 1; Start-Sleep -Seconds 60 } -TimeoutSeconds 1
        $clock = [System.Diagnostics.Stopwatch]::StartNew()

        $caught = $null
        try { Invoke-AgnoWorkflow (New-AgnoWorkflow 'w' -Step $slow) -Session $session } catch { $caught = $_ }

        $clock.Elapsed.TotalSeconds | Should -BeLessThan 10
        $caught | Should -Not -BeNullOrEmpty
        $caught.FullyQualifiedErrorId | Should -BeLike 'AgnoTimedOut*'
        $caught.CategoryInfo.Category | Should -Be 'OperationTimeout'
        $caught.TargetObject | Should -Be 'slow'
        $caught.Exception.Message | Should -Match 'timeout'
        $caught.Exception.Message | Should -Match "'slow'"
        Get-AgnoState -Session $session -Key value | Should -Be 'before'
        $session.State.ContainsKey('added') | Should -BeFalse
        $session.History[-1].Steps[0].Status | Should -Be 'TimedOut'
    }

    It 'does not stop a step that finishes in time' {
        $session = New-AgnoSession
        $quick = New-AgnoStep 'quick' { Set-AgnoState -Key done -Value $true } -TimeoutSeconds 30
        Invoke-AgnoWorkflow (New-AgnoWorkflow 'w' -Step $quick) -Session $session
        Get-AgnoState -Session $session -Key done | Should -BeTrue
    }

    It 'leaves no busy runspace behind after a timeout' {
        $slow = New-AgnoStep 'slow' { Start-Sleep -Seconds 60 } -TimeoutSeconds 1
        { Invoke-AgnoWorkflow (New-AgnoWorkflow 'w' -Step $slow) -Session (New-AgnoSession) } | Should -Throw -ErrorId 'AgnoTimedOut*'
        Get-BusyAgnoRunspace | Should -BeNullOrEmpty
    }
}

Describe 'Run and parallel time limits' {
    It 'Invoke-AgnoWorkflow -TimeoutSeconds stops the run, keeping the steps that completed' {
        $session = New-AgnoSession
        $wf = New-AgnoWorkflow 'long' -Step @(
            New-AgnoStep 'first' { Set-AgnoState -Key first -Value 'done' }
            New-AgnoStep 'second' { Set-AgnoState -Key second -Value 'partial'; Start-Sleep -Seconds 60 }
            New-AgnoStep 'third' { Set-AgnoState -Key third -Value 'never' }
        )
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        { Invoke-AgnoWorkflow $wf -Session $session -TimeoutSeconds 1 } | Should -Throw -ErrorId 'AgnoTimedOut*' -ExpectedMessage '*timeout*'
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 10
        Get-AgnoState -Session $session -Key first | Should -Be 'done'
        $session.State.ContainsKey('second') | Should -BeFalse
        $session.State.ContainsKey('third') | Should -BeFalse
        $session.History[-1].Status | Should -Be 'TimedOut'
    }

    It 'Invoke-AgnoParallel -TimeoutSeconds fails the node and merges no branch, not even one that finished' {
        $session = New-AgnoSession
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        { Invoke-AgnoParallel -Session $session -Name 'fan' -TimeoutSeconds 1 -ScriptBlock { Set-AgnoState -Key quick -Value 1 }, { Set-AgnoState -Key slow -Value 1; Start-Sleep -Seconds 60 } } |
            Should -Throw -ErrorId 'AgnoTimedOut*' -ExpectedMessage "*'fan'*timeout*"
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 10
        $session.State.Count | Should -Be 0
    }

    It 'New-AgnoParallel -TimeoutSeconds limits the parallel node in a workflow' {
        $session = New-AgnoSession
        $p = New-AgnoParallel 'fan' -TimeoutSeconds 1 -Step (New-AgnoStep 'quick' { Set-AgnoState -Key quick -Value 1 }), (New-AgnoStep 'slow' { Start-Sleep -Seconds 60 })
        $wf = New-AgnoWorkflow 'w' -Step (New-AgnoStep 'setup' { Set-AgnoState -Key setup -Value 1 }), $p
        { Invoke-AgnoWorkflow $wf -Session $session } | Should -Throw -ErrorId 'AgnoTimedOut*'
        Get-AgnoState -Session $session -Key setup | Should -Be 1
        $session.State.ContainsKey('quick') | Should -BeFalse
    }
}

Describe 'Stopping (Ctrl+C) an invocation' {
    BeforeAll {
        Initialize-Pool 3
    }

    It 'stops every running branch of Invoke-AgnoParallel within 2 seconds, leaves the state as before, and leaks no runspace' {
        $runspacesBefore = (Get-Runspace).Count
        $session = New-AgnoSession
        Set-AgnoState -Session $session -Key before -Value 'kept'
        $started = New-SharedObject ([System.Threading.CountdownEvent]::new(3))
        $child = Start-ChildInvocation -Session $session -StartedName $started -Script {
            $branch = {
                Set-AgnoState -Key partial -Value 1
                $null = [AppDomain]::CurrentDomain.GetData($using:StartedName).Signal()
                Start-Sleep -Seconds 60
            }
            Invoke-AgnoParallel -Session $Session -ScriptBlock $branch, $branch, $branch -ThrottleLimit 3
        }
        try {
            [AppDomain]::CurrentDomain.GetData($started).Wait(30000) | Should -BeTrue -Because 'the three branches start'

            $took = Stop-ChildInvocation $child

            $took.TotalSeconds | Should -BeLessThan 2
            $child.InvocationStateInfo.State | Should -Be 'Stopped'
            @(Get-AgnoState -Session $session).Key | Should -Be @('before')
            $session.History[-1].Status | Should -Be 'Cancelled'
            Get-BusyAgnoRunspace | Should -BeNullOrEmpty
        }
        finally {
            Remove-ChildInvocation $child
            Remove-SharedObject $started
        }
        # pooled runspaces may be kept or disposed, never left behind
        (Get-Runspace).Count | Should -BeLessOrEqual $runspacesBefore
    }

    It 'stops Invoke-AgnoWorkflow, keeping the completed steps and dropping the interrupted one' {
        $runspacesBefore = (Get-Runspace).Count
        $session = New-AgnoSession
        $started = New-SharedObject ([System.Threading.CountdownEvent]::new(1))
        $child = Start-ChildInvocation -Session $session -StartedName $started -Script {
            $wf = New-AgnoWorkflow 'w' -Step @(
                New-AgnoStep 'first' { Set-AgnoState -Key first -Value 'done' }
                New-AgnoStep 'second' {
                    Set-AgnoState -Key second -Value 'partial'
                    $null = [AppDomain]::CurrentDomain.GetData($using:StartedName).Signal()
                    Start-Sleep -Seconds 60
                }
                New-AgnoStep 'third' { Set-AgnoState -Key third -Value 'never' }
            )
            Invoke-AgnoWorkflow $wf -Session $Session
        }
        try {
            [AppDomain]::CurrentDomain.GetData($started).Wait(30000) | Should -BeTrue -Because 'the second step starts'

            $took = Stop-ChildInvocation $child

            $took.TotalSeconds | Should -BeLessThan 2
            @(Get-AgnoState -Session $session).Key | Should -Be @('first')
            $session.History[-1].Steps.Status | Should -Be @('Completed', 'Cancelled', 'Pending')
            Get-BusyAgnoRunspace | Should -BeNullOrEmpty
        }
        finally {
            Remove-ChildInvocation $child
            Remove-SharedObject $started
        }
        # pooled runspaces may be kept or disposed, never left behind
        (Get-Runspace).Count | Should -BeLessOrEqual $runspacesBefore
    }

    It 'stops an -Isolation Inline step within 2 seconds, leaving the state as before' {
        $session = New-AgnoSession
        $started = New-SharedObject ([System.Threading.CountdownEvent]::new(1))
        $child = Start-ChildInvocation -Session $session -StartedName $started -Script {
            Invoke-AgnoParallel -Session $Session -Isolation Inline {
                Set-AgnoState -Key partial -Value 1
                $null = [AppDomain]::CurrentDomain.GetData($using:StartedName).Signal()
                Start-Sleep -Seconds 60
            }
        }
        try {
            [AppDomain]::CurrentDomain.GetData($started).Wait(30000) | Should -BeTrue -Because 'the step starts'
            $took = Stop-ChildInvocation $child
            $took.TotalSeconds | Should -BeLessThan 2
            $session.State.Count | Should -Be 0
        }
        finally {
            Remove-ChildInvocation $child
            Remove-SharedObject $started
        }
    }
}
