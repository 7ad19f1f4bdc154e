#Requires -Version 7.0
# Issue 11, item 9: steps and parallel branches retry; each attempt starts from the same state, and the
# record keeps each attempt's error.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'AgnoTestSupport.psm1') -Force
    Import-AgnoForTest
    $ProgressPreference = 'SilentlyContinue'

    # A counter the attempts of a step share across runspaces, by name.
    function New-AttemptCounter { New-SharedObject ([System.Collections.Concurrent.ConcurrentDictionary[string, int]]::new()) }
}

Describe 'New-AgnoStep -RetryCount' {
    It 'runs attempts 1 and 2, which fail, from the same state, keeps none of their writes, and completes on attempt 3' {
        $session = New-AgnoSession -State @{ balance = 100 }
        $counter = New-AttemptCounter
        try {
            $step = New-AgnoStep flaky -RetryCount 3 -RetryDelaySeconds 0.01 {
                $attempt = [AppDomain]::CurrentDomain.GetData($using:counter).AddOrUpdate('flaky', 1, { param($k, $v) $v + 1 })
                Set-AgnoState -Key "attempt$attempt" -Value $true
                Set-AgnoState -Key balance -Value ((Get-AgnoState -Key balance) - 10)
                if ($attempt -lt 3) { throw "attempt $attempt failed" }
            }
            $run = Invoke-AgnoWorkflow (New-AgnoWorkflow w -Step $step) -PassThru | Select-RunRecord
            (Get-AgnoState).Key | Should -Be 'attempt3', 'balance'
            Get-AgnoState -Key balance | Should -Be 90 -Because 'each attempt started from 100'
            $record = $run.Steps[0]
            $record.Status | Should -Be 'Completed'
            $record.Attempts.Number | Should -Be 1, 2, 3
            $record.Attempts[0].Error.InnerException.Message | Should -Be 'attempt 1 failed'
            $record.Attempts[1].Error.InnerException.Message | Should -Be 'attempt 2 failed'
            $record.Attempts[2].Error | Should -BeNullOrEmpty
        }
        finally { Remove-SharedObject $counter }
    }

    It 'fails with the last attempt''s error once the retries are spent' {
        $session = New-AgnoSession
        $step = New-AgnoStep always -RetryCount 2 { Set-AgnoState -Key partial -Value 1; throw 'still down' }
        $caught = Get-ThrownError { Invoke-AgnoWorkflow $step }
        $caught.FullyQualifiedErrorId | Should -BeLike 'AgnoStepFailed*'
        $caught.Exception.Message | Should -Match "'always' failed: still down"
        $session.History[-1].Root.Attempts.Count | Should -Be 3
        $session.State.Count | Should -Be 0
    }

    It 'retries only what -RetryOn names, by exception type name' {
        $null = New-AgnoSession
        $counter = New-AttemptCounter
        try {
            $step = New-AgnoStep typed -RetryCount 3 -RetryOn 'InvalidOperationException' {
                $attempt = [AppDomain]::CurrentDomain.GetData($using:counter).AddOrUpdate('typed', 1, { param($k, $v) $v + 1 })
                if ($attempt -eq 1) { throw [System.InvalidOperationException]::new('transient') }
                if ($attempt -eq 2) { throw [System.ArgumentException]::new('permanent') }
            }
            $caught = Get-ThrownError { Invoke-AgnoWorkflow $step }
            $caught.Exception.Message | Should -Match 'permanent'
            [AppDomain]::CurrentDomain.GetData($counter)['typed'] | Should -Be 2 -Because 'the ArgumentException is not retried'
        }
        finally { Remove-SharedObject $counter }
    }

    It 'retries only what -RetryOn names, by error id' {
        $null = New-AgnoSession
        $counter = New-AttemptCounter
        try {
            $step = New-AgnoStep api -RetryCount 3 -RetryOn 'Api5*' {
                $attempt = [AppDomain]::CurrentDomain.GetData($using:counter).AddOrUpdate('api', 1, { param($k, $v) $v + 1 })
                if ($attempt -eq 1) { Write-Error -ErrorId Api503 -Message 'unavailable' -ErrorAction Stop }
                if ($attempt -eq 2) { Write-Error -ErrorId Api404 -Message 'not found' -ErrorAction Stop }
            }
            $caught = Get-ThrownError { Invoke-AgnoWorkflow $step }
            $caught.Exception.Message | Should -Match 'not found'
            [AppDomain]::CurrentDomain.GetData($counter)['api'] | Should -Be 2
        }
        finally { Remove-SharedObject $counter }
    }

    It 'does not retry a timeout: -TimeoutSeconds limits all the attempts together' {
        $session = New-AgnoSession
        $step = New-AgnoStep slow -RetryCount 3 -TimeoutSeconds 1 { Set-AgnoState -Key partial -Value 1; Start-Sleep -Seconds 60 }
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        { Invoke-AgnoWorkflow $step } | Should -Throw -ErrorId 'AgnoTimedOut*'
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 10
        $session.History[-1].Root.Status | Should -Be 'TimedOut'
        $session.History[-1].Root.Attempts.Count | Should -Be 1
        $session.State.Count | Should -Be 0
    }

    It 'waits -RetryDelaySeconds before each retry (Fixed)' {
        $null = New-AgnoSession
        $step = New-AgnoStep waits -RetryCount 2 -RetryDelaySeconds 0.3 -RetryBackoff Fixed { throw 'down' }
        $caught = Get-ThrownError { Invoke-AgnoWorkflow $step }
        $attempts = $caught.Exception.Run.Root.Attempts
        $attempts.Count | Should -Be 3
        ($attempts[1].StartedAt - $attempts[0].StartedAt).TotalSeconds | Should -BeGreaterOrEqual 0.3
        ($attempts[2].StartedAt - $attempts[1].StartedAt).TotalSeconds | Should -BeGreaterOrEqual 0.3
    }
}

Describe 'Invoke-AgnoParallel -RetryCount' {
    It 'retries each failed branch of every form on its own, from the same state' {
        $counter = New-AttemptCounter
        try {
            $flaky = {
                $name = $AgnoSession.NodeName
                $attempt = [AppDomain]::CurrentDomain.GetData($using:counter).AddOrUpdate($name, 1, { param($k, $v) $v + 1 })
                Set-AgnoState -Key "$name-attempt$attempt" -Value 1
                if ($attempt -lt 2) { throw "$name failed once" }
            }
            $session = New-AgnoSession
            1..3 | Invoke-AgnoParallel -RetryCount 1 $flaky
            (Get-AgnoState).Key | Should -Be 'Item1-attempt2', 'Item2-attempt2', 'Item3-attempt2'

            $session = New-AgnoSession
            $run = Invoke-AgnoParallel -RetryCount 1 -ScriptBlock $flaky, $flaky -PassThru | Select-RunRecord
            (Get-AgnoState).Key | Should -Be 'Branch1-attempt2', 'Branch2-attempt2'
            $run.Steps[0].Attempts.Count | Should -Be 2

            $session = New-AgnoSession
            $chain = New-AgnoStep first { Set-AgnoState -Key first -Value 1 }
            $null = $chain.Then((New-AgnoStep second $flaky))
            $run = Invoke-AgnoParallel -RetryCount 1 -Step $chain -PassThru | Select-RunRecord
            (Get-AgnoState).Key | Should -Be 'first', 'second-attempt2'
            $run.Steps[0].Attempts.Count | Should -Be 2
            $run.Steps[0].Children.Name | Should -Be 'first', 'second' -Because 'the retried branch records its last attempt''s steps once'
        }
        finally { Remove-SharedObject $counter }
    }
}
