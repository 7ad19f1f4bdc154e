BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'AgnoTestSupport.psm1') -Force
    Import-AgnoForTest

    # A module on disk, for -Module and for the reset tests.
    function New-TestModule([string] $Name, [string] $Body) {
        $dir = Join-Path $TestDrive $Name
        $null = New-Item -ItemType Directory -Path $dir -Force
        $path = Join-Path $dir "$Name.psm1"
        Set-Content -Path $path -Value $Body
        $path
    }

    # Runs $Count branches that all hold a runspace at the same moment (they meet before going on),
    # so that every idle runspace of the pool is lent to one of them. Each branch runs $Probe and
    # returns its result with the runspace's InstanceId.
    function Invoke-ConcurrentProbe([int] $Count, [scriptblock] $Probe) {
        $meeting = New-SharedObject ([System.Threading.CountdownEvent]::new($Count))
        try {
            $steps = 1..$Count | ForEach-Object {
                New-AgnoStep "probe$_" {
                    param($meetingName, $probeText)
                    $meeting = [AppDomain]::CurrentDomain.GetData($meetingName)
                    $null = $meeting.Signal()
                    if (-not $meeting.Wait(30000)) { throw 'the probes never all ran at once' }
                    [pscustomobject]@{
                        Runspace = [runspace]::DefaultRunspace.InstanceId
                        Result   = & ([scriptblock]::Create($probeText))
                    }
                } -ArgumentList $meeting, $Probe.ToString()
            }
            Invoke-AgnoParallel -Session (New-AgnoSession) -Step $steps -ThrottleLimit $Count
        }
        finally {
            Remove-SharedObject $meeting
        }
    }

    # More branches than the pool ever keeps idle (the larger of 4 and twice the processors).
    $probeCount = [Math]::Max(4, 2 * [Environment]::ProcessorCount) + 2
}

Describe 'Steps run in isolated runspaces' {
    It 'does not let a step see the caller''s variables' {
        $secret = 'caller only'
        $global:AgnoCallerGlobal = 'caller global'
        try {
            $session = New-AgnoSession
            $out = Invoke-AgnoParallel -Session $session {
                $null -eq (Get-Variable -Name secret -ErrorAction SilentlyContinue)
                $null -eq (Get-Variable -Name AgnoCallerGlobal -ErrorAction SilentlyContinue)
            }
            $out | Should -Be @($true, $true)
        }
        finally {
            Remove-Variable -Name AgnoCallerGlobal -Scope Global
        }
    }

    It 'runs a step in a runspace other than the caller''s, and two running steps never in one runspace' {
        $session = New-AgnoSession
        $results = Invoke-ConcurrentProbe -Count 3 -Probe { 'ran' }
        $ids = @($results.Runspace)
        $ids.Count | Should -Be 3
        @($ids | Select-Object -Unique).Count | Should -Be 3
        $ids | Should -Not -Contain ([runspace]::DefaultRunspace.InstanceId)
    }

    It 'makes the Agno cmdlets available in every step' {
        $out = Invoke-AgnoParallel -Session (New-AgnoSession) { (Get-Command Set-AgnoState).Name }
        $out | Should -Be 'Set-AgnoState'
    }
}

Describe '$using: brings in a copy of a caller variable' {
    It 'gives the step the value, and mutating it in the step does not change the caller''s hashtable' {
        $h = @{ n = 1; list = [System.Collections.ArrayList]@() }
        $out = Invoke-AgnoParallel -Session (New-AgnoSession) {
            $copy = $using:h
            $copy.n = 2
            $null = $copy.list.Add('from step')
            $copy.n
        }
        $out | Should -Be 2
        $h.n | Should -Be 1
        $h.list.Count | Should -Be 0
    }

    It 'gives every branch its own copy' {
        $list = [System.Collections.Generic.List[int]]::new()
        $list.Add(1)
        $out = Invoke-AgnoParallel -Session (New-AgnoSession) -ScriptBlock @(
            { $l = $using:list; $l.Add(2); $l.Count }
            { $l = $using:list; $l.Add(3); $l.Count }
            { $l = $using:list; $l.Add(4); $l.Count }
        )
        $out | Should -Be @(2, 2, 2)
        $list.Count | Should -Be 1
    }

    It 'keeps the value''s type' {
        $when = [datetime] '2024-03-04'
        $n = [long] 5
        $out = Invoke-AgnoParallel -Session (New-AgnoSession) { ($using:when).GetType().Name; ($using:n).GetType().Name }
        $out | Should -Be @('DateTime', 'Int64')
    }

    It 'supports $using:name.Property and $using:name[index], reading from the copy' {
        $h = @{ n = 1; list = @(10, 20); inner = @{ deep = 'd' } }
        $out = Invoke-AgnoParallel -Session (New-AgnoSession) { $using:h.n; $using:h.list[1]; $using:h.inner.deep; $using:h.list.Count }
        $out | Should -Be @(1, 20, 'd', 2)
    }

    It 'takes the value the variable has when the step is made' {
        $v = 'when made'
        $step = New-AgnoStep 's' { $using:v }
        $v = 'changed later'
        Invoke-AgnoWorkflow (New-AgnoWorkflow 'w' -Step $step) -Session (New-AgnoSession) | Should -Be 'when made'
    }

    It 'is an error naming the variable when the caller has no such variable' {
        { New-AgnoStep 's' { $using:agnoNoSuchVariable } -ErrorAction Stop } | Should -Throw -ExpectedMessage '*agnoNoSuchVariable*'
    }

    It 'is honoured under -Isolation Inline too, as a copy' {
        $h = @{ n = 1 }
        $out = Invoke-AgnoParallel -Session (New-AgnoSession) -Isolation Inline { $c = $using:h; $c.n = 5; $c.n }
        $out | Should -Be 5
        $h.n | Should -Be 1
    }
}

Describe '-ArgumentList binds to the step''s param()' {
    It 'binds positional arguments with their types' {
        $step = New-AgnoStep 'add' { param([int] $a, $b) Set-AgnoState -Key sum -Value ($a + $b); $b.GetType().Name } -ArgumentList '2', ([long] 3)
        $session = New-AgnoSession
        $out = Invoke-AgnoWorkflow (New-AgnoWorkflow 'w' -Step $step) -Session $session
        $out | Should -Be 'Int64'
        Get-AgnoState -Session $session -Key sum | Should -Be 5
    }

    It 'passes a copy: mutating an argument in the step leaves the caller''s object alone' {
        $h = @{ n = 1 }
        $step = New-AgnoStep 'mutate' { param($t) $t.n = 99; $t.n } -ArgumentList $h
        Invoke-AgnoWorkflow (New-AgnoWorkflow 'w' -Step $step) -Session (New-AgnoSession) | Should -Be 99
        $h.n | Should -Be 1
    }
}

Describe '-Function, -Module and -Variable bring caller definitions into the runspace' {
    It 'brings the functions a wildcard names, and only those' {
        function Get-AgnoTestThingOne { 'one' }
        function Get-AgnoTestThingTwo { param($x) "two:$x" }
        function Get-AgnoTestOther { 'other' }
        $step = New-AgnoStep 's' {
            Get-AgnoTestThingOne
            Get-AgnoTestThingTwo -x 2
            $null -eq (Get-Command Get-AgnoTestOther -ErrorAction SilentlyContinue)
        } -Function 'Get-AgnoTestThing*'
        Invoke-AgnoWorkflow (New-AgnoWorkflow 'w' -Step $step) -Session (New-AgnoSession) | Should -Be @('one', 'two:2', $true)
    }

    It 'does not bring caller functions without -Function' {
        function Get-AgnoTestHidden { 'hidden' }
        $out = Invoke-AgnoParallel -Session (New-AgnoSession) { $null -eq (Get-Command Get-AgnoTestHidden -ErrorAction SilentlyContinue) }
        $out | Should -BeTrue
    }

    It 'is an error when -Function names a function the caller does not have' {
        { New-AgnoStep 's' { 1 } -Function 'Get-AgnoNoSuchFunction' -ErrorAction Stop } | Should -Throw -ExpectedMessage '*Get-AgnoNoSuchFunction*'
    }

    It 'brings the variables a wildcard names, as copies' {
        $agnoVarOne = 1
        $agnoVarTwo = @{ x = 'two' }
        $agnoOther = 'not asked for'
        $step = New-AgnoStep 's' {
            $agnoVarOne
            $agnoVarTwo.x
            $agnoVarTwo.x = 'changed in step'
            $null -eq (Get-Variable agnoOther -ErrorAction SilentlyContinue)
        } -Variable 'agnoVar*'
        Invoke-AgnoWorkflow (New-AgnoWorkflow 'w' -Step $step) -Session (New-AgnoSession) | Should -Be @(1, 'two', $true)
        $agnoVarTwo.x | Should -Be 'two'
    }

    It 'imports a module the caller has loaded, by name' {
        $path = New-TestModule 'AgnoTestModA' 'function Get-AgnoTestModA { "from A" }'
        Import-Module $path
        try {
            $step = New-AgnoStep 's' { Get-AgnoTestModA } -Module 'AgnoTestModA'
            Invoke-AgnoWorkflow (New-AgnoWorkflow 'w' -Step $step) -Session (New-AgnoSession) | Should -Be 'from A'
        }
        finally {
            Remove-Module AgnoTestModA
        }
    }

    It 'imports a module the caller has not loaded, found on PSModulePath' {
        $null = New-TestModule 'AgnoTestModOnPath' 'function Get-AgnoTestModOnPath { "found" }'
        $saved = $env:PSModulePath
        $env:PSModulePath = [string] $TestDrive + [System.IO.Path]::PathSeparator + $saved
        try {
            $step = New-AgnoStep 's' { Get-AgnoTestModOnPath } -Module 'AgnoTestModOnPath'
            Invoke-AgnoWorkflow (New-AgnoWorkflow 'w' -Step $step) -Session (New-AgnoSession) | Should -Be 'found'
            Get-Module AgnoTestModOnPath | Should -BeNullOrEmpty
        }
        finally {
            $env:PSModulePath = $saved
        }
    }

    It 'imports a module given by path' {
        $path = New-TestModule 'AgnoTestModPath' 'function Get-AgnoTestModPath { "from path" }'
        $step = New-AgnoStep 's' { Get-AgnoTestModPath } -Module $path
        Invoke-AgnoWorkflow (New-AgnoWorkflow 'w' -Step $step) -Session (New-AgnoSession) | Should -Be 'from path'
    }

    It 'imports every loaded module a wildcard names' {
        $a = New-TestModule 'AgnoTestModW1' 'function Get-AgnoTestModW1 { "W1" }'
        $b = New-TestModule 'AgnoTestModW2' 'function Get-AgnoTestModW2 { "W2" }'
        Import-Module $a, $b
        try {
            $step = New-AgnoStep 's' { Get-AgnoTestModW1; Get-AgnoTestModW2 } -Module 'AgnoTestModW*'
            Invoke-AgnoWorkflow (New-AgnoWorkflow 'w' -Step $step) -Session (New-AgnoSession) | Should -Be @('W1', 'W2')
        }
        finally {
            Remove-Module AgnoTestModW1, AgnoTestModW2 -ErrorAction SilentlyContinue
        }
    }
}

Describe 'Inside a step, the state cmdlets act on the step''s own copy' {
    It 'sets $AgnoSession to the step''s session' {
        $session = New-AgnoSession -SessionId 'outer-session' -UserId 'u1' -Input 'in'
        $step = New-AgnoStep 'inspect' {
            $AgnoSession.SessionId
            $AgnoSession.UserId
            $AgnoSession.Input
            $AgnoSession.NodeName
        }
        $out = Invoke-AgnoWorkflow (New-AgnoWorkflow 'w' -Step $step) -Session $session
        $out | Should -Be @('outer-session', 'u1', 'in', 'inspect')
    }

    It 'reads back within the step what the step set, and commits it when the step completes (<Isolation>)' -ForEach @(
        @{ Isolation = 'Runspace' }
        @{ Isolation = 'Inline' }
    ) {
        $target = New-AgnoSession
        Set-AgnoState -Session $target -Key before -Value 'b'
        $current = New-AgnoSession   # the caller's current session is now another one
        $out = Invoke-AgnoParallel -Session $target -Isolation $Isolation {
            Set-AgnoState -Key k -Value 'set in step'
            Get-AgnoState -Key k
            Get-AgnoState -Key before
            Get-AgnoState -Session $AgnoSession -Key k
        }
        $out | Should -Be @('set in step', 'b', 'set in step')
        Get-AgnoState -Session $target -Key k | Should -Be 'set in step'
        $current.State.ContainsKey('k') | Should -BeFalse
    }

    It 'never shows a branch what another branch set' {
        $gate = New-SharedObject ([System.Threading.ManualResetEventSlim]::new($false))
        try {
            $session = New-AgnoSession
            $out = Invoke-AgnoParallel -Session $session -ScriptBlock @(
                { Set-AgnoState -Key seen -Value 'branch 1'; [AppDomain]::CurrentDomain.GetData($using:gate).Set() }
                {
                    if (-not [AppDomain]::CurrentDomain.GetData($using:gate).Wait(30000)) { throw 'branch 1 never opened the gate' }
                    if ($null -eq (Get-AgnoState -Key seen -ErrorAction SilentlyContinue)) { 'not visible' } else { 'visible' }
                }
            )
            $out | Should -Be 'not visible'
            Get-AgnoState -Session $session -Key seen | Should -Be 'branch 1'
        }
        finally {
            Remove-SharedObject $gate
        }
    }

    It 'gives a step a copy that its own mutations do not leak through' {
        $session = New-AgnoSession
        Set-AgnoState -Session $session -Key h -Value @{ n = 1 }
        $out = Invoke-AgnoParallel -Session $session {
            $h = Get-AgnoState -Key h
            $h.n = 2      # not stored back
            (Get-AgnoState -Key h).n
        }
        $out | Should -Be 1
        (Get-AgnoState -Session $session -Key h).n | Should -Be 1
    }
}

Describe 'Pooled runspaces are reset between uses' {
    It 'does not let a later step see a global variable an earlier step left' {
        $null = Invoke-AgnoParallel -Session (New-AgnoSession) {
            $global:AgnoLeakedVariable = 'leaked'
            Set-Variable -Name AgnoLeakedToo -Value 1 -Scope Global
        }
        $probes = Invoke-ConcurrentProbe -Count $probeCount -Probe {
            [bool] (Get-Variable -Name AgnoLeakedVariable, AgnoLeakedToo -Scope Global -ErrorAction SilentlyContinue)
        }
        @($probes).Count | Should -Be $probeCount
        $probes.Result | Should -Not -Contain $true
    }

    It 'reuses a runspace that a step left untouched' {
        $untouched = Invoke-AgnoParallel -Session (New-AgnoSession) { $local = 'only in the step scope'; [runspace]::DefaultRunspace.InstanceId }
        $probes = Invoke-ConcurrentProbe -Count $probeCount -Probe { 'probe' }
        $probes.Runspace | Should -Contain $untouched
    }

    It 'resets a runspace a step changed and reuses it' {
        $leaky = Invoke-AgnoParallel -Session (New-AgnoSession) { $global:AgnoLeakedVariable = 'leaked'; [runspace]::DefaultRunspace.InstanceId }
        $probes = Invoke-ConcurrentProbe -Count $probeCount -Probe {
            [bool] (Get-Variable -Name AgnoLeakedVariable -Scope Global -ErrorAction SilentlyContinue)
        }
        $probes.Result | Should -Not -Contain $true
        $probes.Runspace | Should -Contain $leaky
    }

    It 'does not let a later step see a global function, alias, module or location an earlier step left' {
        $modulePath = New-TestModule 'AgnoTestModLeak' 'function Get-AgnoTestModLeak { "leak" }'
        $null = Invoke-AgnoParallel -Session (New-AgnoSession) {
            function global:Get-AgnoLeakedFunction { 'leaked' }
            Set-Alias -Name agnoLeakedAlias -Value Get-Date -Scope Global
            Import-Module $using:modulePath
            Set-Location $using:TestDrive
        }
        $probes = Invoke-ConcurrentProbe -Count $probeCount -Probe {
            $left = @()
            if (Get-Command Get-AgnoLeakedFunction -ErrorAction SilentlyContinue) { $left += 'function' }
            if (Get-Alias agnoLeakedAlias -ErrorAction SilentlyContinue) { $left += 'alias' }
            if (Get-Module AgnoTestModLeak) { $left += 'module' }
            if (Get-Command Get-AgnoTestModLeak -ErrorAction SilentlyContinue) { $left += 'module command' }
            $left += $PWD.Path
            $left -join ','
        }
        @($probes).Count | Should -Be $probeCount
        foreach ($probe in $probes) {
            $probe.Result | Should -Not -Match 'function|alias|module'
            $probe.Result | Should -Not -Be ([string] $TestDrive)
        }
    }

    It 'gives a later step no $AgnoSession or state of an earlier step' {
        $null = Invoke-AgnoParallel -Session (New-AgnoSession) { Set-AgnoState -Key earlier -Value 1 }
        $probes = Invoke-ConcurrentProbe -Count $probeCount -Probe {
            [bool] (Get-AgnoState -Key earlier -ErrorAction SilentlyContinue)
        }
        $probes.Result | Should -Not -Contain $true
    }
}

Describe 'Fan-out' {
    It 'runs 200 branches and merges 200 keys' {
        $session = New-AgnoSession
        $branch = { Set-AgnoState -Key "key_$($AgnoSession.NodeName)" -Value $AgnoSession.NodeName }
        $run = Invoke-AgnoParallel -Session $session -ScriptBlock (@($branch) * 200) -PassThru
        $entries = @(Get-AgnoState -Session $session -Key 'key_*')
        $entries.Count | Should -Be 200
        Get-AgnoState -Session $session -Key key_Branch1 | Should -Be 'Branch1'
        Get-AgnoState -Session $session -Key key_Branch200 | Should -Be 'Branch200'
        $run.Status | Should -Be 'Completed'
        @($run.Steps | Where-Object Status -EQ 'Completed').Count | Should -Be 200
    }
}

Describe '-Isolation Inline runs steps in the caller''s runspace' {
    BeforeAll {
        function Get-AgnoBeforeAllHelper { 'from BeforeAll' }
    }

    It 'honours a Pester Mock of a function the step calls' {
        function Get-RemoteUser { 'real user' }
        Mock Get-RemoteUser { 'mocked user' }
        $session = New-AgnoSession
        $step = New-AgnoStep 'fetch' { Set-AgnoState -Key user -Value (Get-RemoteUser) }
        Invoke-AgnoWorkflow (New-AgnoWorkflow 'w' -Step $step) -Session $session -Isolation Inline
        Get-AgnoState -Session $session -Key user | Should -Be 'mocked user'
        Should -Invoke Get-RemoteUser -Times 1 -Exactly
    }

    It 'honours a Mock in every parallel branch' {
        function Get-Price { param($Item) 100 }
        Mock Get-Price { 1 }
        $session = New-AgnoSession
        Invoke-AgnoParallel -Session $session -Isolation Inline -Reducer @{ total = 'Sum' } -ScriptBlock @(
            { Set-AgnoState -Key total -Value (Get-Price -Item a) }
            { Set-AgnoState -Key total -Value (Get-Price -Item b) }
        )
        Get-AgnoState -Session $session -Key total | Should -Be 2
        Should -Invoke Get-Price -Times 2 -Exactly
    }

    It 'sees the caller''s functions without -Function' {
        function Get-AgnoItHelper { 'from It' }
        $out = Invoke-AgnoParallel -Session (New-AgnoSession) -Isolation Inline { Get-AgnoItHelper; Get-AgnoBeforeAllHelper }
        $out | Should -Be @('from It', 'from BeforeAll')
    }

    It 'runs in the caller''s runspace, branches one after another' {
        $out = Invoke-AgnoParallel -Session (New-AgnoSession) -Isolation Inline -ScriptBlock { [runspace]::DefaultRunspace.InstanceId }, { [runspace]::DefaultRunspace.InstanceId }
        $out | Should -Be @([runspace]::DefaultRunspace.InstanceId, [runspace]::DefaultRunspace.InstanceId)
    }
}

Describe 'Runspaces and memory stay flat' {
    It 'after 1,000 step invocations, Get-Runspace count and memory are flat' {
        $step = { Set-AgnoState -Key n -Value ([int] (Get-AgnoState -Key n -ErrorAction SilentlyContinue) + 1) }
        $steps = 1..100 | ForEach-Object { New-AgnoStep "s$_" $step }
        $workflow = New-AgnoWorkflow 'hundred' -Step $steps
        # warm up: the pool and the caches fill before measuring
        foreach ($i in 1..20) { Invoke-AgnoParallel -Session (New-AgnoSession) -ScriptBlock $step }
        Invoke-AgnoWorkflow $workflow -Session (New-AgnoSession)

        $runspacesBefore = (Get-Runspace).Count
        $memoryBefore = [GC]::GetTotalMemory($true)

        foreach ($i in 1..100) { Invoke-AgnoParallel -Session (New-AgnoSession) -ScriptBlock $step }  # 100 invocations of the cmdlet
        $last = $null
        foreach ($i in 1..9) {                                                                        # 900 steps
            $last = New-AgnoSession
            Invoke-AgnoWorkflow $workflow -Session $last
        }

        Get-AgnoState -Session $last -Key n | Should -Be 100
        (Get-Runspace).Count | Should -BeLessOrEqual $runspacesBefore
        $growth = [GC]::GetTotalMemory($true) - $memoryBefore
        $growth | Should -BeLessThan 30MB
    }
}
