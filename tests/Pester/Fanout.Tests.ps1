#Requires -Version 7.0
# Issue 11, items 1-4: $items | Invoke-AgnoParallel { ... $_ ... }, the ForEach-Object -Parallel idiom,
# with input-order merges, streaming, bounded memory, and the node's atomicity, timeouts and stops.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'AgnoTestSupport.psm1') -Force
    Import-AgnoForTest
    $ProgressPreference = 'SilentlyContinue'
}

Describe 'One branch per item piped in' {
    It 'runs the scriptblock once per item with $_ the item, and merges every branch' {
        $session = New-AgnoSession
        1..20 | Invoke-AgnoParallel { Set-AgnoState -Key "k$_" -Value $_ }
        $session.State.Count | Should -Be 20
        foreach ($i in 1..20) { Get-AgnoState -Key "k$i" | Should -Be $i }
        $session.History[-1].Status | Should -Be 'Completed'
    }

    It 'merges in input order when the branches finish in reverse order' {
        $session = New-AgnoSession -State @{ log = @() }
        # Item i waits until item i+1 has finished its work, so the branches finish 3, 2, 1.
        $gates = New-SharedObject @([System.Threading.ManualResetEventSlim]::new(), [System.Threading.ManualResetEventSlim]::new(), [System.Threading.ManualResetEventSlim]::new())
        $finished = New-SharedObject ([System.Collections.Concurrent.ConcurrentQueue[int]]::new())
        try {
            $run = 1..3 | Invoke-AgnoParallel -ThrottleLimit 3 -Reducer @{ log = 'Append' } -PassThru {
                $gates = [AppDomain]::CurrentDomain.GetData($using:gates)
                if ($_ -lt 3 -and -not $gates[$_].Wait(30000)) { throw "item $($_ + 1) never finished" }
                Set-AgnoState -Key winner -Value $_
                Set-AgnoState -Key log -Value @($_)
                [AppDomain]::CurrentDomain.GetData($using:finished).Enqueue($_)
                $gates[$_ - 1].Set()
            } | Select-RunRecord
            @([AppDomain]::CurrentDomain.GetData($finished)) | Should -Be 3, 2, 1 -Because 'the work itself reversed the finish order'
            Get-AgnoState -Key winner | Should -Be 3 -Because 'the last item in input order wins, not the last to finish'
            Get-AgnoState -Key log | Should -Be 1, 2, 3
            $run.Conflicts[0].Branches | Should -Be 'Item1', 'Item2', 'Item3'
            $run.Conflicts[0].Winner | Should -Be 'Item3'
        }
        finally { Remove-SharedObject $gates, $finished }
    }

    It 'writes output as branches finish, and in input order with -Ordered' {
        foreach ($ordered in $false, $true) {
            $null = New-AgnoSession
            $gates = New-SharedObject @([System.Threading.ManualResetEventSlim]::new(), [System.Threading.ManualResetEventSlim]::new(), [System.Threading.ManualResetEventSlim]::new())
            try {
                $out = 1..3 | Invoke-AgnoParallel -ThrottleLimit 3 -Ordered:$ordered {
                    $gates = [AppDomain]::CurrentDomain.GetData($using:gates)
                    if ($_ -lt 3 -and -not $gates[$_].Wait(30000)) { throw "item $($_ + 1) never finished" }
                    "out$_"
                    # Signalled after the output is written: the writes reach the caller in finish order.
                    $gates[$_ - 1].Set()
                }
                if ($ordered) { $out | Should -Be 'out1', 'out2', 'out3' }
                else { $out | Should -Be 'out3', 'out2', 'out1' }
            }
            finally { Remove-SharedObject $gates }
        }
    }

    It 'names branches with -BranchName, in records, conflicts and errors' {
        $session = New-AgnoSession
        $items = [pscustomobject]@{ Name = 'alice' }, [pscustomobject]@{ Name = 'bob' }
        $run = $items | Invoke-AgnoParallel -BranchName { $_.Name } -PassThru { Set-AgnoState -Key owner -Value $_.Name } | Select-RunRecord
        $run.Conflicts[0].Branches | Should -Be 'alice', 'bob'
        Get-AgnoState -Key owner | Should -Be 'bob'

        $caught = Get-ThrownError { $items | Invoke-AgnoParallel -BranchName { $_.Name } { if ($_.Name -eq 'bob') { throw 'no bob' } } }
        $caught.Exception.Message | Should -Match "'bob'.*no bob"
    }

    It 'refuses a -BranchName that names two items alike, and merges nothing' {
        $session = New-AgnoSession
        $caught = Get-ThrownError { 'a', 'a' | Invoke-AgnoParallel -BranchName { $_ } { Set-AgnoState -Key "k$_" -Value 1 } }
        $caught.FullyQualifiedErrorId | Should -BeLike 'AgnoInvalidArgument*'
        $caught.Exception.Message | Should -Match "already has a branch named 'a'"
        $session.State.Count | Should -Be 0
    }

    It 'fails naming the branch and the item, and under Stop merges nothing' {
        $session = New-AgnoSession
        $caught = Get-ThrownError { 'a.txt', 'missing.txt', 'c.txt' | Invoke-AgnoParallel { Set-AgnoState -Key $_ -Value 1; if ($_ -eq 'missing.txt') { throw "Cannot read $_." } } }
        $caught.FullyQualifiedErrorId | Should -BeLike 'AgnoParallelFailed*'
        $caught.Exception.Message | Should -Match "'Item2'"
        $caught.Exception.Message | Should -Match "item 'missing\.txt'"
        $caught.Exception.Failures[0].Error.Item | Should -Be 'missing.txt'
        $session.State.Count | Should -Be 0
    }

    It 'under -ErrorPolicy Continue applies the successful items and reports each failure' {
        $session = New-AgnoSession
        $run = 1..6 | Invoke-AgnoParallel -ErrorPolicy Continue -PassThru -ErrorVariable failures -ErrorAction SilentlyContinue {
            if ($_ % 3 -eq 0) { throw "item $_ failed" }
            Set-AgnoState -Key "k$_" -Value $_
        } | Select-RunRecord
        (Get-AgnoState).Key | Should -Be 'k1', 'k2', 'k4', 'k5'
        $run.Status | Should -Be 'CompletedWithErrors'
        @($failures).Count | Should -Be 2
        $failures[0].Exception.Message | Should -Match "Item3"
        $run.Failures.Name | Should -Be 'Item3', 'Item6'
    }

    It 'gives each branch its own copy of the item as $_ and $PSItem' {
        $session = New-AgnoSession
        $item = @{ Name = 'original'; Tags = [System.Collections.Generic.List[string]]@('a') }
        $item | Invoke-AgnoParallel {
            $same = [object]::ReferenceEquals($_, $PSItem)
            $_.Name = 'changed in the branch'
            $_.Tags.Add('b')
            Set-AgnoState -Key seen -Value @{ Same = $same; Name = $_.Name; Type = $_.GetType().Name }
        }
        $item.Name | Should -Be 'original'
        $item.Tags | Should -Be 'a'
        (Get-AgnoState -Key seen).Same | Should -BeTrue
        (Get-AgnoState -Key seen).Type | Should -Be 'Hashtable'
    }

    It 'takes -Session by name only; Invoke-AgnoWorkflow still takes a session from the pipeline' {
        (Get-Command Invoke-AgnoParallel).Parameters['Session'].Attributes.ValueFromPipeline | Should -Not -Contain $true
        $other = New-AgnoSession
        $session = New-AgnoSession
        'x' | Invoke-AgnoParallel -Session $other { Set-AgnoState -Key item -Value $_ }
        Get-AgnoState -Session $other -Key item | Should -Be 'x'
        $session.State.Count | Should -Be 0 -Because 'the current session was not the one named'

        $other | Invoke-AgnoWorkflow (New-AgnoStep piped { Set-AgnoState -Key piped -Value 1 })
        Get-AgnoState -Session $other -Key piped | Should -Be 1
    }

    It 'works with -Isolation Inline, where the caller''s functions are visible' {
        $session = New-AgnoSession
        function Get-Square([int] $n) { $n * $n }
        1..4 | Invoke-AgnoParallel -Isolation Inline { Set-AgnoState -Key "sq$_" -Value (Get-Square $_) }
        (1..4 | ForEach-Object { Get-AgnoState -Key "sq$_" }) | Should -Be 1, 4, 9, 16
    }

    It 'takes $using:, -ArgumentList, -Function and -Variable as the other forms do' {
        $session = New-AgnoSession
        function Get-Label([string] $s) { "label-$s" }
        $prefix = 'p'
        $suffix = 's'
        'x', 'y' | Invoke-AgnoParallel -ArgumentList 7 -Function Get-Label -Variable suffix {
            param($n)
            Set-AgnoState -Key $_ -Value "$using:prefix $(Get-Label $_) $n $suffix"
        }
        Get-AgnoState -Key x | Should -Be 'p label-x 7 s'
        Get-AgnoState -Key y | Should -Be 'p label-y 7 s'
    }
}

Describe 'Items run one after another on workers, each as a step on its own' {
    # A worker runs many items in one runspace (-ThrottleLimit 1: one worker runs them all): what one
    # item does to the runspace must not reach the next, and an item that ends badly fails alone.
    It 'gives no item the globals, functions, preferences or location an earlier item left' {
        $null = New-AgnoSession
        $here = (Get-Location).ProviderPath
        $seen = 1..4 | Invoke-AgnoParallel -ThrottleLimit 1 -Ordered {
            $found = [pscustomobject]@{
                Global = $global:AgnoTestLeak
                Function = [bool](Get-Command AgnoTestLeak -ErrorAction Ignore)
                ErrorAction = "$ErrorActionPreference"
                Location = (Get-Location).ProviderPath
            }
            $global:AgnoTestLeak = $_
            function global:AgnoTestLeak { 'left behind' }
            $global:ErrorActionPreference = 'Stop'
            Set-Location -LiteralPath ([System.IO.Path]::GetTempPath())
            $found
        }
        $seen.Count | Should -Be 4
        $seen.Global | Should -Be @($null, $null, $null, $null)
        $seen.Function | Should -Be @($false, $false, $false, $false)
        $seen.ErrorAction | Should -Be @('Continue', 'Continue', 'Continue', 'Continue')
        $seen.Location | Should -Be @($here, $here, $here, $here)
        (Get-Location).ProviderPath | Should -Be $here
    }

    It 'fails an item that throws, calls exit or continues the loop it runs in, and runs the items after it' {
        $session = New-AgnoSession
        1..5 | Invoke-AgnoParallel -ThrottleLimit 1 -ErrorPolicy Continue -ErrorVariable failed -ErrorAction SilentlyContinue {
            if ($_ -eq 2) { exit 3 }
            if ($_ -eq 3) { continue }
            if ($_ -eq 4) { throw 'item four broke' }
            Set-AgnoState -Key "k$_" -Value $_
        }
        @(Get-AgnoState -Session $session).Key | Sort-Object | Should -Be @('k1', 'k5')
        $failed.Count | Should -Be 3
        "$($failed[0])" | Should -Match "Item2.*called exit"
        "$($failed[1])" | Should -Match "Item3.*called exit \(or break or continue"
        "$($failed[2])" | Should -Match "Item4.*item four broke"
        Get-BusyAgnoRunspace | Should -BeNullOrEmpty
    }

    It 'ends the run as Stopped when an item calls Stop-AgnoWorkflow: the items begun merge, none after starts' {
        $session = New-AgnoSession
        $out = 1..6 | Invoke-AgnoParallel -ThrottleLimit 1 {
            Set-AgnoState -Key "s$_" -Value $_
            if ($_ -eq 3) { Stop-AgnoWorkflow -Reason 'three is enough' }
            "after $_"
        }
        $out | Should -Be @('after 1', 'after 2')
        @(Get-AgnoState -Session $session).Key | Sort-Object | Should -Be @('s1', 's2', 's3')
        $session.History[-1].Status | Should -Be 'Stopped'
        $session.History[-1].StopReason | Should -Be 'three is enough'
    }

    It 'ends the run as Stopped when a branch of Invoke-AgnoParallel -Step calls Stop-AgnoWorkflow' {
        $session = New-AgnoSession
        Invoke-AgnoParallel -Step (New-AgnoStep stopper { Set-AgnoState -Key stopped -Value 1; Stop-AgnoWorkflow 'enough' })
        $session.History[-1].Status | Should -Be 'Stopped'
        $session.History[-1].StopReason | Should -Be 'enough'
        Get-AgnoState -Key stopped | Should -Be 1
    }
}

Describe 'Streaming and memory' {
    It 'starts the first branch before the last item is read' {
        $session = New-AgnoSession
        $started = New-SharedObject ([System.Threading.ManualResetEventSlim]::new())
        try {
            # The generator gives its second item only once the first item's branch has run: were the
            # items all read before the first branch started, this would wait for ever (and throw).
            & {
                1
                if (-not [AppDomain]::CurrentDomain.GetData($started).Wait(30000)) { throw 'the first branch had not started when the second item was read' }
                2
            } | Invoke-AgnoParallel {
                Set-AgnoState -Key "k$_" -Value $_
                [AppDomain]::CurrentDomain.GetData($using:started).Set()
            }
            $session.State.Count | Should -Be 2
        }
        finally { Remove-SharedObject $started }
    }

    It 'keeps the peak working set for 100,000 trivial items under twice that for 1,000' {
        $script = @'
param($ModulePath, $Count)
Import-Module $ModulePath
$ProgressPreference = 'SilentlyContinue'
$null = New-AgnoSession -State @{ Done = 0 }
# Each branch adds 1 to Done (base 0), folded by Sum as it finishes, and writes its item.
$outputs = & { for ($i = 1; $i -le [int]$Count; $i++) { $i } } | Invoke-AgnoParallel -Reducer @{ Done = 'Sum' } { Set-AgnoState -Key Done -Value 1; $_ } |
    Measure-Object
"$(Get-AgnoState -Key Done) $($outputs.Count) $([Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64)"
'@
        $small = @(Invoke-ChildPwsh $script -ArgumentList 1000 -TimeoutSeconds 300)[-1] -split ' '
        $large = @(Invoke-ChildPwsh $script -ArgumentList 100000 -TimeoutSeconds 900)[-1] -split ' '
        $small[0..1] | Should -Be '1000', '1000'
        $large[0..1] | Should -Be '100000', '100000'
        [long] $large[2] | Should -BeLessThan (2 * [long] $small[2]) -Because "100,000 items peaked at $([long]$large[2] / 1MB) MB against $([long]$small[2] / 1MB) MB for 1,000"
    }
}

Describe 'The pipeline form stops as the other forms do' {
    It 'fails with AgnoTimedOut past -TimeoutSeconds, merging nothing' {
        $session = New-AgnoSession
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        { 1..3 | Invoke-AgnoParallel -Name fan -TimeoutSeconds 1 { Set-AgnoState -Key "k$_" -Value 1; if ($_ -eq 2) { Start-Sleep -Seconds 60 } } } |
            Should -Throw -ErrorId 'AgnoTimedOut*' -ExpectedMessage "*'fan'*timeout*"
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 10
        $session.State.Count | Should -Be 0
        Get-BusyAgnoRunspace | Should -BeNullOrEmpty
    }

    It 'stops on Ctrl+C while items are still coming, within 2 seconds, leaving the state as before' {
        $session = New-AgnoSession
        Set-AgnoState -Session $session -Key before -Value 'kept'
        $started = New-SharedObject ([System.Threading.CountdownEvent]::new(3))
        $child = Start-ChildInvocation -Session $session -StartedName $started -Script {
            # An endless stream of items: only a stop ends it.
            & { $i = 0; while ($true) { $i++; $i } } | Invoke-AgnoParallel -Session $Session -ThrottleLimit 3 {
                Set-AgnoState -Key "k$_" -Value 1
                if ($_ -le 3) { $null = [AppDomain]::CurrentDomain.GetData($using:StartedName).Signal(); Start-Sleep -Seconds 60 }
            }
        }
        try {
            [AppDomain]::CurrentDomain.GetData($started).Wait(30000) | Should -BeTrue -Because 'the first three branches start'
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
    }

    It 'stops its branches when a command before it fails, committing nothing' {
        $session = New-AgnoSession
        { & { 1; 2; throw 'the source failed' } | Invoke-AgnoParallel { Set-AgnoState -Key "k$_" -Value 1 } } | Should -Throw '*the source failed*'
        $session.State.Count | Should -Be 0
        Get-BusyAgnoRunspace | Should -BeNullOrEmpty
    }
}
