BeforeAll { Import-Module (Join-Path $PSScriptRoot 'AgnoTestSupport.psm1') -Force; Import-AgnoForTest }

# The users' scripts of issue 9 (merge and reducers), run as written through the cmdlets. Lists are read
# back into a variable (`$log = Get-AgnoState log`), which gives the same array whether Get-AgnoState
# writes a collection enumerated or as one object.

Describe 'Append and Union take both ways of writing a list' {
    It 'appends every branch''s items when the key already exists and each branch writes only its own (the README''s second run)' {
        $null = New-AgnoSession -State @{ log = @('yesterday') }
        $fan = New-AgnoParallel fan-out -Reducer @{ log = 'Append' } -Step @(
            New-AgnoStep orders   { Set-AgnoState -Key log -Value @('orders') }
            New-AgnoStep invoices { Set-AgnoState -Key log -Value @('invoices') })
        $run = Invoke-AgnoWorkflow $fan -PassThru
        $log = Get-AgnoState log

        $log | Should -Be @('yesterday', 'orders', 'invoices')
        $run.Status | Should -Be 'Completed'
        $run.Conflicts | Should -BeNullOrEmpty
    }

    It 'takes a branch that reads, appends and writes beside one that writes only its own items' {
        $session = New-AgnoSession -State @{ log = @('start', 'ready') }
        Invoke-AgnoParallel -Reducer @{ log = 'Append' } -ScriptBlock @(
            { $log = Get-AgnoState log; Set-AgnoState log ($log + 'a') }
            { Set-AgnoState log @('b') })
        $log = Get-AgnoState log

        $log | Should -Be @('start', 'ready', 'a', 'b')
        $session.State.Get('log').GetType() | Should -Be ([object[]])
    }

    It 'keeps the key''s [int[]] when a branch appends with +=' {
        $session = New-AgnoSession -State @{ ids = [int[]](1, 2) }
        Invoke-AgnoParallel -Reducer @{ ids = 'Append' } -ScriptBlock @(
            { $ids = Get-AgnoState ids; $ids += 3; Set-AgnoState ids $ids }
            { Set-AgnoState ids @(4) })

        $ids = $session.State.Get('ids')
        $ids | Should -Be @(1, 2, 3, 4)
        $ids.GetType() | Should -Be ([int[]])
    }

    It 'Union keeps base''s items and adds each branch''s new items once, in branch order, however the branch wrote them' {
        $null = New-AgnoSession -State @{ servers = @('web1', 'web2') }
        Invoke-AgnoParallel -Reducer @{ servers = 'Union' } -ScriptBlock @(
            { $s = Get-AgnoState servers; Set-AgnoState servers ($s + 'web3') }
            { Set-AgnoState servers @('web4', 'web1', 'web3') })
        $servers = Get-AgnoState servers

        $servers | Should -Be @('web1', 'web2', 'web3', 'web4')
    }
}

Describe 'Sum, Max and Min widen as PowerShell does' {
    It 'gives 13.5 [double] for base 10 and branches 12.5 and 11' {
        $null = New-AgnoSession -State @{ total = 10 }
        $fan = New-AgnoParallel totals -Reducer @{ total = 'Sum' } -Step @(
            New-AgnoStep a { Set-AgnoState -Key total -Value 12.5 }
            New-AgnoStep b { Set-AgnoState -Key total -Value 11 })
        Invoke-AgnoWorkflow $fan
        $total = Get-AgnoState total

        $total | Should -Be 13.5
        $total | Should -BeOfType [double]
    }

    It 'gives Max of 12 and 12.0 as 12.0 [double] in either branch order' -TestCases @(
        @{ First = 12; Second = 12.0 }
        @{ First = 12.0; Second = 12 }
    ) {
        param($First, $Second)
        $null = New-AgnoSession -State @{ peak = 10 }
        Invoke-AgnoParallel -Reducer @{ peak = 'Max' } -ScriptBlock @(
            { Set-AgnoState peak $using:First }
            { Set-AgnoState peak $using:Second })
        $peak = Get-AgnoState peak

        $peak | Should -Be 12
        $peak | Should -BeOfType [double]
    }

    It 'gives a [decimal] sum a [decimal] result, as [decimal]1 + 0.5 is in PowerShell' {
        $null = New-AgnoSession -State @{ cost = [decimal]1.25 }
        Invoke-AgnoParallel -Reducer @{ cost = 'Sum' } -ScriptBlock @(
            { Set-AgnoState cost ([decimal]2.25) }
            { Set-AgnoState cost 1.75 })
        $cost = Get-AgnoState cost

        $cost | Should -Be ([decimal]1.25 + (1.75 - [decimal]1.25) + ([decimal]2.25 - [decimal]1.25))
        $cost | Should -BeOfType [decimal]
    }
}

Describe 'Merge merges dictionaries at every depth' {
    BeforeEach {
        $session = New-AgnoSession -State @{ Config = @{ Smtp = @{ Host = 'mail'; Port = 25 }; Retries = 1 } }
    }

    It 'keeps two branches'' changes to different entries of a nested dictionary' {
        $fan = New-AgnoParallel settings -Reducer @{ Config = 'Merge' } -Step @(
            New-AgnoStep host { $c = Get-AgnoState Config; $c.Smtp.Host = 'relay'; Set-AgnoState Config $c }
            New-AgnoStep port { $c = Get-AgnoState Config; $c.Smtp.Port = 587; Set-AgnoState Config $c })
        $run = Invoke-AgnoWorkflow $fan -PassThru
        $config = Get-AgnoState Config

        $config.Smtp.Host | Should -Be 'relay'
        $config.Smtp.Port | Should -Be 587
        $config.Retries | Should -Be 1
        $run.Conflicts | Should -BeNullOrEmpty
    }

    It 'records a conflict naming the path when two branches change one nested entry differently' {
        $fan = New-AgnoParallel settings -Reducer @{ Config = 'Merge' } -Step @(
            New-AgnoStep ops  { $c = Get-AgnoState Config; $c.Smtp.Host = 'ops-relay'; Set-AgnoState Config $c }
            New-AgnoStep sec  { $c = Get-AgnoState Config; $c.Smtp.Host = 'sec-relay'; $c.Retries = 3; Set-AgnoState Config $c })
        $run = Invoke-AgnoWorkflow $fan -PassThru
        $config = Get-AgnoState Config

        $run.Conflicts.Count | Should -Be 1
        $run.Conflicts[0].Path | Should -Be 'Config.Smtp.Host'
        $run.Conflicts[0].Key | Should -Be 'Config'
        $run.Conflicts[0].Branches | Should -Be @('ops', 'sec')
        $run.Conflicts[0].Winner | Should -Be 'sec'
        $config.Smtp.Host | Should -Be 'sec-relay'
        $config.Retries | Should -Be 3
    }

    It 'fails the merge naming the path under -MergeStrategy Fail, and merges nothing' {
        $e = Get-ThrownError {
            Invoke-AgnoParallel -MergeStrategy Fail -Reducer @{ Config = 'Merge' } -ScriptBlock @(
                { $c = Get-AgnoState Config; $c.Smtp.Host = 'ops-relay'; Set-AgnoState Config $c; Set-AgnoState other 1 }
                { $c = Get-AgnoState Config; $c.Smtp.Host = 'sec-relay'; Set-AgnoState Config $c })
        }

        $e.FullyQualifiedErrorId | Should -BeLike 'AgnoMergeConflict,*'
        $e.Exception.Message | Should -BeLike "*'Config.Smtp.Host' changed by 'Branch1', 'Branch2'*Nothing was merged*"
        (Get-AgnoState Config).Smtp.Host | Should -Be 'mail'
        $session.State.ContainsKey('other') | Should -BeFalse
    }

    It 'merges a nested removal beside another branch''s nested addition' {
        Invoke-AgnoParallel -Reducer @{ Config = 'Merge' } -ScriptBlock @(
            { $c = Get-AgnoState Config; $c.Smtp.Remove('Port'); Set-AgnoState Config $c }
            { $c = Get-AgnoState Config; $c.Smtp.Tls = $true; Set-AgnoState Config $c })
        $config = Get-AgnoState Config

        @($config.Smtp.Keys | Sort-Object) | Should -Be @('Host', 'Tls')
    }

    It 'keeps an [ordered] dictionary''s type and order inside the merged value' {
        $session = New-AgnoSession -State @{ Config = @{ Steps = [ordered]@{ build = 1; test = 2 } } }
        Invoke-AgnoParallel -Reducer @{ Config = 'Merge' } -ScriptBlock @(
            { $c = Get-AgnoState Config; $c.Steps.deploy = 3; Set-AgnoState Config $c }
            { $c = Get-AgnoState Config; $c.Steps.test = 20; Set-AgnoState Config $c })
        $steps = $session.State.Get('Config').Steps

        $steps | Should -BeOfType [System.Collections.Specialized.OrderedDictionary]
        @($steps.Keys) | Should -Be @('build', 'test', 'deploy')
        $steps.TEST | Should -Be 20
    }
}

Describe 'A reducer that cannot combine fails the merge as a whole' {
    It 'fails Append given a hashtable with AgnoReducerFailed naming key, reducer and branch, and merges nothing' {
        $session = New-AgnoSession -State @{ log = @('start'); other = 0 }
        $fan = New-AgnoParallel fan -Reducer @{ log = 'Append' } -Step @(
            New-AgnoStep good { Set-AgnoState other 1; Set-AgnoState log @('x') }
            New-AgnoStep bad  { Set-AgnoState log @{ entry = 'x' } })

        $e = Get-ThrownError { Invoke-AgnoWorkflow $fan }

        $e.FullyQualifiedErrorId | Should -BeLike 'AgnoReducerFailed,*'
        $e.TargetObject | Should -Be 'log'
        $e.Exception.Message | Should -Be ("The reducer 'Append' for key 'log' failed on branch 'bad': Append combines lists, but this branch's value " +
            "is a dictionary ([Hashtable]); use the Merge reducer for dictionaries. Nothing was merged.")
        $session.State.Get('log') | Should -Be @('start')
        Get-AgnoState other | Should -Be 0
    }
}

Describe 'Branch order decides, not completion order' {
    It 'merges Append, Sum and Merge keys in branch order when the first branch finishes last' {
        $gate = New-SharedObject ([System.Threading.ManualResetEventSlim]::new($false))
        try {
            $session = New-AgnoSession -State @{ log = @('start'); total = 1; Config = @{ Smtp = @{ Host = 'mail' } } }
            $run = Invoke-AgnoParallel -Reducer @{ log = 'Append'; total = 'Sum'; Config = 'Merge' } -PassThru -ScriptBlock @(
                {
                    if (-not [AppDomain]::CurrentDomain.GetData($using:gate).Wait(30000)) { throw 'the gate was never opened' }
                    Set-AgnoState log @('first'); Set-AgnoState total ([decimal]1.5)
                    $c = Get-AgnoState Config; $c.Smtp.Host = 'first'; Set-AgnoState Config $c
                }
                {
                    Set-AgnoState log @('second'); Set-AgnoState total 3
                    $c = Get-AgnoState Config; $c.Smtp.Host = 'second'; Set-AgnoState Config $c
                    [AppDomain]::CurrentDomain.GetData($using:gate).Set()
                })

            $session.State.Get('log') | Should -Be @('start', 'first', 'second')
            $session.State.Get('total') | Should -Be ([decimal]3.5)
            $session.State.Get('total') | Should -BeOfType [decimal]
            $session.State.Get('Config').Smtp.Host | Should -Be 'second'
            $run.Conflicts[0].Path | Should -Be 'Config.Smtp.Host'
            $run.Conflicts[0].Winner | Should -Be 'Branch2'
        }
        finally {
            Remove-SharedObject $gate
        }
    }
}

Describe 'Setting the value a key has is not a change' {
    It 'does not list a branch''s set of an equal hashtable in KeysChanged' {
        $null = New-AgnoSession -State @{ cfg = @{ a = 1; b = @{ c = @(1, 2) } } }
        $wf = New-AgnoWorkflow nightly -Step @(
            New-AgnoStep same { Set-AgnoState cfg @{ a = 1; b = @{ c = @(1, 2) } } }
            New-AgnoStep real { Set-AgnoState seen $true })
        $run = Invoke-AgnoWorkflow $wf -PassThru

        $run.Steps.Where({ $_.Name -eq 'same' }).KeysChanged | Should -BeNullOrEmpty
        $run.Steps.Where({ $_.Name -eq 'real' }).KeysChanged | Should -Be @('seen')
    }

    It 'does not list a parallel branch''s set of the value a key has' {
        $null = New-AgnoSession -State @{ cfg = @{ a = 1 } }
        $run = Invoke-AgnoParallel -PassThru -ScriptBlock @(
            { Set-AgnoState cfg @{ a = 1 } }
            { Set-AgnoState x 1 })

        $run.Steps.Where({ $_.Name -eq 'Branch1' }).KeysChanged | Should -BeNullOrEmpty
        $run.Root.KeysChanged | Should -Be @('x')
    }

    It 'does not commit or bump a stored session''s version for a top-level set of an equal value' {
        $store = Join-Path $TestDrive 'noop.db'
        $null = New-AgnoSession -SessionId nightly -Store $store
        Set-AgnoState cfg @{ a = @{ b = 1 }; list = @('x') }
        $version = (Get-AgnoSession -Store $store).Version

        Set-AgnoState cfg @{ a = @{ b = 1 }; list = @('x') }
        Set-AgnoState -InputObject @{ cfg = @{ a = @{ b = 1 }; list = @('x') } }

        (Get-AgnoSession -Store $store).Version | Should -Be $version
        Set-AgnoState cfg @{ a = @{ b = 2 }; list = @('x') }
        (Get-AgnoSession -Store $store).Version | Should -Be ($version + 1)
    }
}
