BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'AgnoTestSupport.psm1') -Force
    Import-AgnoForTest

    # A workflow of one named step.
    function New-OneStepWorkflow([string] $Name, [scriptblock] $ScriptBlock) {
        New-AgnoWorkflow 'w' -Step (New-AgnoStep $Name $ScriptBlock)
    }
}

Describe 'Output reaches the caller''s pipeline' {
    It 'writes every object a step outputs, in order, with its type' {
        $out = Invoke-AgnoWorkflow (New-OneStepWorkflow 'emit' { 1..50; [pscustomobject]@{ name = 'last' } }) -Session (New-AgnoSession)
        $out.Count | Should -Be 51
        $out[0..49] | Should -Be (1..50)
        $out[0] | Should -BeOfType [int]
        $out[50].name | Should -Be 'last'
    }

    It 'writes the output of steps in workflow order' {
        $wf = New-AgnoWorkflow 'w' -Step (New-AgnoStep 'a' { 'from a' }), (New-AgnoStep 'b' { 'from b' }), (New-AgnoStep 'c' { 'from c' })
        Invoke-AgnoWorkflow $wf -Session (New-AgnoSession) | Should -Be @('from a', 'from b', 'from c')
    }

    It 'streams output to the next command of the pipeline' {
        $seen = Invoke-AgnoParallel -Session (New-AgnoSession) { 'x'; 'y' } | ForEach-Object { "got $_" }
        $seen | Should -Be @('got x', 'got y')
    }
}

Describe 'Errors a step writes reach the caller, naming the step' {
    It 'writes a non-terminating Write-Error to the caller with [step] in the message, and the step goes on' {
        $session = New-AgnoSession
        $wf = New-AgnoWorkflow 'w' -Step (New-AgnoStep 'fetch' { Write-Error 'disk is slow'; Set-AgnoState -Key after -Value 'reached' })
        $out = Invoke-AgnoWorkflow $wf -Session $session -ErrorVariable errs 2>&1
        $records = @($out | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
        $records.Count | Should -Be 1
        $records[0].ToString() | Should -Match '\[fetch\] disk is slow'
        $errs.Count | Should -Be 1
        Get-AgnoState -Session $session -Key after | Should -Be 'reached'
    }

    It 'names the branch for Invoke-AgnoParallel -ScriptBlock' {
        $null = Invoke-AgnoParallel -Session (New-AgnoSession) -ScriptBlock { 'fine' }, { Write-Error 'second one' } -ErrorVariable errs 2>$null
        $errs.Count | Should -Be 1
        $errs[0].ToString() | Should -Match '\[Branch2\] second one'
    }

    It 'keeps the step''s error record details (category, exception)' {
        $null = Invoke-AgnoWorkflow (New-OneStepWorkflow 'categorised' { Write-Error -Message 'no disk' -Category ResourceUnavailable -ErrorId 'NoDisk' }) -Session (New-AgnoSession) -ErrorVariable errs 2>$null
        $errs[0].CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'NoDisk*'
        $errs[0].Exception.Message | Should -Be 'no disk'
    }
}

Describe 'Warning, verbose, debug and information records reach the caller, naming the step' {
    BeforeEach {
        $VerbosePreference = 'SilentlyContinue'
        $DebugPreference = 'SilentlyContinue'
    }

    It 'writes warnings with [step]' {
        $null = Invoke-AgnoWorkflow (New-OneStepWorkflow 'check' { Write-Warning 'running low' }) -Session (New-AgnoSession) -WarningVariable warnings 3>$null
        $warnings.Count | Should -Be 1
        $warnings[0].Message | Should -Be '[check] running low'
    }

    It 'writes verbose records with -Verbose on the invoke cmdlet' {
        $records = Invoke-AgnoWorkflow (New-OneStepWorkflow 'chatty' { Write-Verbose 'details here'; 'output' }) -Session (New-AgnoSession) -Verbose 4>&1
        $verbose = @($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })
        $verbose.Count | Should -Be 1
        $verbose[0].Message | Should -Be '[chatty] details here'
    }

    It 'writes no verbose record without -Verbose' {
        $records = Invoke-AgnoWorkflow (New-OneStepWorkflow 'chatty' { Write-Verbose 'details here'; 'output' }) -Session (New-AgnoSession) 4>&1
        @($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Count | Should -Be 0
        $records | Should -Be 'output'
    }

    It 'writes verbose records when the caller''s $VerbosePreference is Continue' {
        $VerbosePreference = 'Continue'
        $records = Invoke-AgnoWorkflow (New-OneStepWorkflow 'chatty' { Write-Verbose 'by preference' }) -Session (New-AgnoSession) 4>&1
        @($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message | Should -Be '[chatty] by preference'
    }

    It 'writes debug records with -Debug, and none without' {
        $with = Invoke-AgnoWorkflow (New-OneStepWorkflow 'dbg' { Write-Debug 'inner state' }) -Session (New-AgnoSession) -Debug 5>&1
        @($with | Where-Object { $_ -is [System.Management.Automation.DebugRecord] }).Message | Should -Be '[dbg] inner state'
        $without = Invoke-AgnoWorkflow (New-OneStepWorkflow 'dbg' { Write-Debug 'inner state' }) -Session (New-AgnoSession) 5>&1
        @($without | Where-Object { $_ -is [System.Management.Automation.DebugRecord] }).Count | Should -Be 0
    }

    It 'writes information records with the step as their Source' {
        $null = Invoke-AgnoWorkflow (New-OneStepWorkflow 'informer' { Write-Information 'fyi' -Tags 'mine' }) -Session (New-AgnoSession) -InformationVariable info
        $info.Count | Should -Be 1
        $info[0].MessageData | Should -Be 'fyi'
        $info[0].Source | Should -Be 'informer'
        $info[0].Tags | Should -Contain 'mine'
    }

    It 'writes Write-Host output as information (6>&1), with the step as Source' {
        $records = Invoke-AgnoWorkflow (New-OneStepWorkflow 'talker' { Write-Host 'hello from the step'; 'out' }) -Session (New-AgnoSession) 6>&1
        $host6 = @($records | Where-Object { $_ -is [System.Management.Automation.InformationRecord] })
        $host6.Count | Should -Be 1
        [string] $host6[0].MessageData | Should -Be 'hello from the step'
        $host6[0].Tags | Should -Contain 'PSHOST'
        $host6[0].Source | Should -Be 'talker'
        $records | Where-Object { $_ -is [string] } | Should -Be 'out'
    }

    It 'writes the records of parallel branches, each naming its own branch' {
        $p = New-AgnoParallel 'fan' -Step (New-AgnoStep 'left' { Write-Warning 'w' }), (New-AgnoStep 'right' { Write-Warning 'w' })
        $null = Invoke-AgnoWorkflow (New-AgnoWorkflow 'w' -Step $p) -Session (New-AgnoSession) -WarningVariable warnings 3>$null
        @($warnings.Message | Sort-Object) | Should -Be @('[left] w', '[right] w')
    }

    It 'writes the records of -Isolation Inline steps, naming the step' {
        $wf = New-OneStepWorkflow 'inline-step' { Write-Warning 'inline warning'; Write-Information 'inline info'; Write-Verbose 'inline verbose' }
        $records = Invoke-AgnoWorkflow $wf -Session (New-AgnoSession) -Isolation Inline -Verbose -WarningVariable warnings -InformationVariable info 3>$null 6>$null 4>&1
        $warnings.Message | Should -Be '[inline-step] inline warning'
        $info.MessageData | Should -Be 'inline info'
        $info.Source | Should -Be 'inline-step'
        @($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message | Should -Be '[inline-step] inline verbose'
    }

    It 'writes errors and output of -Isolation Inline steps, naming the step' {
        $out = Invoke-AgnoWorkflow (New-OneStepWorkflow 'inline-step' { Write-Error 'inline error'; 'inline output' }) -Session (New-AgnoSession) -Isolation Inline -ErrorVariable errs 2>$null
        $out | Should -Be 'inline output'
        $errs.Count | Should -Be 1
        $errs[0].ToString() | Should -Be '[inline-step] inline error'
    }
}

Describe 'The caller''s preferences apply inside steps' {
    It '-ErrorAction Stop makes a step''s non-terminating error fail the step, which leaves no change' {
        $session = New-AgnoSession
        $wf = New-AgnoWorkflow 'w' -Step (New-AgnoStep 'strict' { Set-AgnoState -Key before -Value 1; Write-Error 'not so bad'; Set-AgnoState -Key after -Value 1 })
        { Invoke-AgnoWorkflow $wf -Session $session -ErrorAction Stop } | Should -Throw -ExpectedMessage '*not so bad*'
        $session.State.ContainsKey('before') | Should -BeFalse
        $session.State.ContainsKey('after') | Should -BeFalse
        $session.History[-1].Steps[0].Status | Should -Be 'Failed'
    }

    It '$ErrorActionPreference = ''Stop'' in the caller does the same' {
        $ErrorActionPreference = 'Stop'
        $session = New-AgnoSession
        $seen = [System.Collections.Generic.List[object]]::new()
        $wf = New-AgnoWorkflow 'w' -Step (New-AgnoStep 'strict' { Write-Error 'not so bad'; 'went on'; Set-AgnoState -Key after -Value 1 })
        { Invoke-AgnoWorkflow $wf -Session $session | ForEach-Object { $seen.Add($_) } } | Should -Throw -ExpectedMessage '*not so bad*'
        $seen | Should -Not -Contain 'went on'
        $session.State.ContainsKey('after') | Should -BeFalse
    }

    It 'a throw fails the step even under -ErrorAction <Action>' -ForEach @(
        @{ Action = 'SilentlyContinue' }
        @{ Action = 'Ignore' }
    ) {
        $session = New-AgnoSession
        $wf = New-AgnoWorkflow 'w' -Step (New-AgnoStep 'thrower' { Set-AgnoState -Key before -Value 1; throw 'really broken'; Set-AgnoState -Key after -Value 1 })
        { Invoke-AgnoWorkflow $wf -Session $session -ErrorAction $Action } | Should -Throw -ErrorId 'AgnoStepFailed*' -ExpectedMessage '*really broken*'
        $session.State.Count | Should -Be 0
    }

    It 'a throw fails the step even when the caller''s $ErrorActionPreference is SilentlyContinue' {
        $ErrorActionPreference = 'SilentlyContinue'
        $session = New-AgnoSession
        $failed = $false
        try {
            Invoke-AgnoParallel -Session $session { Set-AgnoState -Key before -Value 1; throw 'really broken' }
        }
        catch {
            $failed = $true
            $_.FullyQualifiedErrorId | Should -BeLike 'AgnoParallelFailed*'
        }
        $failed | Should -BeTrue
        $session.State.Count | Should -Be 0
        $session.History[-1].Status | Should -Be 'Failed'
    }

    It '-ErrorAction SilentlyContinue still hides a step''s non-terminating errors from the caller' {
        $session = New-AgnoSession
        $out = Invoke-AgnoWorkflow (New-OneStepWorkflow 'noisy' { Write-Error 'minor'; Set-AgnoState -Key after -Value 1; 'went on' }) -Session $session -ErrorAction SilentlyContinue 2>&1
        $out | Should -Be 'went on'
        Get-AgnoState -Session $session -Key after | Should -Be 1
    }

    It '-WarningAction SilentlyContinue hides a step''s warnings, and -WarningVariable still gets them, as for an advanced function' {
        $records = Invoke-AgnoWorkflow (New-OneStepWorkflow 'quiet' { Write-Warning 'hush'; 'done' }) -Session (New-AgnoSession) -WarningAction SilentlyContinue -WarningVariable caught 3>&1
        $records | Should -Be 'done'
        @($caught).Count | Should -Be 1
        "$($caught[0])" | Should -BeLike '*hush'
    }

    It '-WarningAction Stop makes a step''s warning fail it' {
        $session = New-AgnoSession
        $wf = New-AgnoWorkflow 'w' -Step (New-AgnoStep 'warns' { Write-Warning 'careful'; Set-AgnoState -Key after -Value 1 })
        { Invoke-AgnoWorkflow $wf -Session $session -WarningAction Stop 3>$null } | Should -Throw
        $session.State.ContainsKey('after') | Should -BeFalse
    }

    It '-InformationAction Continue applies inside the steps' {
        $out = Invoke-AgnoWorkflow (New-OneStepWorkflow 'info' { $InformationPreference.ToString() }) -Session (New-AgnoSession) -InformationAction Continue
        $out | Should -Be 'Continue'
    }
}

Describe 'Progress' {
    It 'writes a parent bar, a child bar per running step, and the step''s own progress under the parent, naming the step' {
        # The fan-out's branches wait at a gate the test opens once it has seen their bars (progress is
        # written a few times a second, so only a step that is still running is sure to get a bar).
        $gate = 'agno-test-' + [guid]::NewGuid()
        [AppDomain]::CurrentDomain.SetData($gate, [System.Threading.ManualResetEventSlim]::new($false))
        $ps = [powershell]::Create()
        $events = 'agno-progress-' + [guid]::NewGuid()
        $null = Register-ObjectEvent -InputObject $ps.Streams.Progress -EventName DataAdded -SourceIdentifier $events
        try {
            $null = $ps.AddScript({
                    param($ModulePath, $GateName)
                    Import-Module $ModulePath
                    $null = New-AgnoSession
                    $report = New-AgnoStep 'report' { Write-Progress -Activity 'Crunching' -Status 'half way' -PercentComplete 50; 'done' }
                    $wait = { if (-not [AppDomain]::CurrentDomain.GetData($using:GateName).Wait(30000)) { throw 'the gate was never opened' }; 'branch done' }
                    $fan = New-AgnoParallel 'fan' -Step (New-AgnoStep 'a' $wait), (New-AgnoStep 'b' $wait)
                    Invoke-AgnoWorkflow (New-AgnoWorkflow 'wf' -Step $report, $fan)
                }).AddArgument($AgnoModulePath).AddArgument($gate)
            $handle = $ps.BeginInvoke()
            $snapshot = { $c = $ps.Streams.Progress; for ($i = 0; $i -lt $c.Count; $i++) { $c[$i] } }
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            while (@(& $snapshot | Where-Object { $_.Activity -in 'wf/fan/a', 'wf/fan/b' }).Count -lt 2 -and $clock.Elapsed.TotalSeconds -lt 30) {
                $null = Wait-Event -SourceIdentifier $events -Timeout 1
                Remove-Event -SourceIdentifier $events -ErrorAction SilentlyContinue
            }
            [AppDomain]::CurrentDomain.GetData($gate).Set()
            $out = $ps.EndInvoke($handle)

            $ps.HadErrors | Should -BeFalse
            $out | Should -Be @('done', 'branch done', 'branch done')
            $progress = @(& $snapshot)
            $parent = @($progress | Where-Object { $_.ParentActivityId -lt 0 -and $_.Activity -eq "Invoke-AgnoWorkflow 'wf'" })
            $parent.Count | Should -BeGreaterThan 0
            $parentId = $parent[0].ActivityId
            $parent[-1].RecordType | Should -Be 'Completed'

            foreach ($path in 'wf/fan/a', 'wf/fan/b') {
                $bars = @($progress | Where-Object Activity -EQ $path)
                $bars.Count | Should -BeGreaterThan 0 -Because "$path ran long enough to get a bar"
                $bars[0].ParentActivityId | Should -Be $parentId
                $bars[0].StatusDescription | Should -Be 'Running'
                $bars[-1].RecordType | Should -Be 'Completed'
            }

            $own = @($progress | Where-Object Activity -EQ '[report] Crunching')
            $own.Count | Should -Be 1
            $own[0].PercentComplete | Should -Be 50
            $own[0].StatusDescription | Should -Be 'half way'
            $own[0].ParentActivityId | Should -Be $parentId
        }
        finally {
            Unregister-Event -SourceIdentifier $events -ErrorAction SilentlyContinue
            Remove-Event -SourceIdentifier $events -ErrorAction SilentlyContinue
            [AppDomain]::CurrentDomain.GetData($gate).Set()
            [AppDomain]::CurrentDomain.SetData($gate, $null)
            $ps.Dispose()
        }
    }

    It 'writes no progress at all when the caller''s $ProgressPreference is SilentlyContinue' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({
                    param($ModulePath)
                    Import-Module $ModulePath
                    $ProgressPreference = 'SilentlyContinue'
                    $null = New-AgnoSession
                    Invoke-AgnoParallel { Write-Progress -Activity 'hidden' -PercentComplete 10; 'x' }, { 'y' }
                }).AddArgument($AgnoModulePath)
            $out = $ps.Invoke()
            $out.Count | Should -Be 2
            $ps.Streams.Progress.Count | Should -Be 0
        }
        finally {
            $ps.Dispose()
        }
    }

    It 'runs without error with $ProgressPreference = ''Continue''' {
        $ProgressPreference = 'Continue'
        $out = Invoke-AgnoWorkflow (New-OneStepWorkflow 'progress' { foreach ($i in 1..3) { Write-Progress -Activity 'loop' -PercentComplete ($i * 33) }; 'ok' }) -Session (New-AgnoSession) -ErrorVariable errs
        $out | Should -Be 'ok'
        $errs.Count | Should -Be 0
    }
}
