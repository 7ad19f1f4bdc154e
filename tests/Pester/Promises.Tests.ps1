#Requires -Version 7.0
# Issue 9, "Every promise holds in ordinary use": keys, getting values out, steps that behave like
# PowerShell, streams and errors like an advanced function, the pipeline, views. Each test runs the
# user's script as the issue gives it, through the cmdlets; each failed on the code before the fix.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'AgnoTestSupport.psm1') -Force
    Import-AgnoForTest
}

Describe 'Keys holding wildcard characters (item 5)' {
    BeforeEach {
        $session = New-AgnoSession
        Set-AgnoState -Key 'Disk[C]' -Value 10
        Set-AgnoState -Key 'DiskC' -Value 20
        Set-AgnoState -Key 'limit[prod]' -Value 5
        Set-AgnoState -Key 'a*b' -Value 1
        Set-AgnoState -Key 'axxb' -Value 2
    }

    It 'reads a key with brackets by its exact name, not as a pattern' {
        Get-AgnoState -Key 'Disk[C]' | Should -Be 10
        Get-AgnoState -Key 'limit[prod]' | Should -Be 5
    }

    It 'removes only the key named exactly, never the keys its wildcards would match' {
        Remove-AgnoState -Key 'a*b'
        $session.State.ContainsKey('a*b') | Should -BeFalse
        Get-AgnoState -Key 'axxb' | Should -Be 2
    }

    It 'honours backtick escapes, naming one key and writing its value' {
        Get-AgnoState -Key 'Disk`[C`]' | Should -Be 10
        Get-AgnoState -Key ([WildcardPattern]::Escape('a*b')) | Should -Be 1
        Remove-AgnoState -Key 'a`*b'
        $session.State.Keys | Should -Not -Contain 'a*b'
        $session.State.Keys | Should -Contain 'axxb'
    }

    It 'still matches wildcards when no key has the exact name' {
        (Get-AgnoState -Key 'Disk*').Key | Sort-Object | Should -Be @('Disk[C]', 'DiskC')
        (Get-AgnoState -Key 'a?xb').Key | Should -Be 'axxb'
    }

    It '-LiteralKey never expands, in Get-AgnoState and Remove-AgnoState' {
        Get-AgnoState -LiteralKey 'Disk[C]' | Should -Be 10
        Get-AgnoState -LiteralKey 'Disk*' -ErrorVariable missing -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $missing[0].FullyQualifiedErrorId | Should -BeLike 'AgnoStateKeyNotFound,*'
        Remove-AgnoState -LiteralKey 'a*b'
        $session.State.Keys | Should -Contain 'axxb'
    }

    It 'completes such keys escaped and quoted for -Key, quoted for -LiteralKey and Set-AgnoState' {
        $get = TabExpansion2 -inputScript 'Get-AgnoState -Key Disk' -cursorColumn 'Get-AgnoState -Key Disk'.Length
        $get.CompletionMatches.CompletionText | Should -Contain "'Disk``[C``]'"
        $get.CompletionMatches.CompletionText | Should -Contain 'DiskC'
        $literal = TabExpansion2 -inputScript 'Get-AgnoState -LiteralKey Disk' -cursorColumn 'Get-AgnoState -LiteralKey Disk'.Length
        $literal.CompletionMatches.CompletionText | Should -Contain "'Disk[C]'"
        $set = TabExpansion2 -inputScript 'Set-AgnoState -Key lim' -cursorColumn 'Set-AgnoState -Key lim'.Length
        $set.CompletionMatches.CompletionText | Should -Be "'limit[prod]'"
        # what completion writes reads the key back
        Invoke-Expression ('Get-AgnoState -Key ' + $get.CompletionMatches[0].CompletionText) | Should -Not -BeNullOrEmpty
    }
}

Describe 'Get-AgnoState enumerates a collection value, as other cmdlets do (item 11)' {
    BeforeEach {
        $session = New-AgnoSession
        Set-AgnoState -Key servers -Value @('web1', 'web2', 'db1')
        Set-AgnoState -Key log -Value @('a', 'b')
    }

    It 'sends each item down the pipeline' {
        Get-AgnoState -Key servers | ForEach-Object { "ping $_" } | Should -Be @('ping web1', 'ping web2', 'ping db1')
    }

    It 'compares with Should -Be as the list it holds' {
        Get-AgnoState -Key log | Should -Be @('a', 'b')
    }

    It 'writes the value as one object of its stored type with -NoEnumerate, an empty or one-element array included' {
        $list = [System.Collections.Generic.List[int]]::new(); $list.Add(7)
        Set-AgnoState -Key one -Value $list
        Set-AgnoState -Key none -Value @()
        $one = Get-AgnoState -Key one -NoEnumerate
        $one.GetType() | Should -Be ([System.Collections.Generic.List[int]])
        $none = Get-AgnoState -Key none -NoEnumerate
        , $none | Should -BeOfType [object[]]
        $none.Count | Should -Be 0
        @(Get-AgnoState -Key none).Count | Should -Be 0
    }

    It 'never enumerates a dictionary or a string' {
        Set-AgnoState -Key config -Value @{ a = 1; b = 2 }
        @(Get-AgnoState -Key config).Count | Should -Be 1
        Get-AgnoState -Key config | Should -BeOfType [hashtable]
    }

    It 'leaves $AgnoSession.State.Get() returning the exact object' {
        $session.State.Get('servers').GetType() | Should -Be ([object[]])
    }
}

Describe 'Steps run where the caller is, with the calling script''s paths (item 12)' {
    It 'reads and writes relative paths in the caller''s current location, in every isolation' {
        $dir = New-TestDirectory
        Set-Content -LiteralPath (Join-Path $dir 'input.txt') -Value 'from the caller''s folder'
        Push-Location $dir
        try {
            foreach ($isolation in 'Runspace', 'Inline') {
                $out = Invoke-AgnoParallel -Session (New-AgnoSession) -Isolation $isolation {
                    Get-Content input.txt
                    Set-Content -Path written.txt -Value 'here'
                    (Get-Location).ProviderPath
                }
                $out | Should -Be @('from the caller''s folder', $dir) -Because $isolation
                Join-Path $dir 'written.txt' | Should -Exist
                Remove-Item (Join-Path $dir 'written.txt')
            }
        }
        finally { Pop-Location }
    }

    It 'sets $PSScriptRoot and $PSCommandPath of the calling script' {
        $dir = New-TestDirectory
        $script = Join-Path $dir 'nightly.ps1'
        Set-Content -LiteralPath $script -Value @'
param($ModulePath)
Import-Module $ModulePath
$null = New-AgnoSession
$wf = New-AgnoWorkflow nightly (New-AgnoStep paths { "$PSScriptRoot|$PSCommandPath" })
Invoke-AgnoWorkflow $wf
Invoke-AgnoParallel -Isolation Inline { "$PSScriptRoot|$PSCommandPath" }
'@
        $out = & $script $AgnoModulePath
        $out | Should -Be @("$dir|$script", "$dir|$script")
    }

    It 'reports an error in a step at its line in the script file' {
        $dir = New-TestDirectory
        $script = Join-Path $dir 'failing.ps1'
        Set-Content -LiteralPath $script -Value @'
param($ModulePath)
Import-Module $ModulePath
$null = New-AgnoSession
Invoke-AgnoParallel {
    $x = 1
    throw 'broken on line six'
}
'@
        $err = Get-ThrownError { & $script $AgnoModulePath }
        $thrown = $err.Exception.Failures[0].Error.InnerException
        $thrown.ErrorRecord.InvocationInfo.ScriptLineNumber | Should -Be 6
        $thrown.ErrorRecord.InvocationInfo.ScriptName | Should -Be $script
    }
}

Describe '$using: inside a nested block belongs to that block (item 13)' {
    It 'gives ForEach-Object -Parallel, Start-ThreadJob and Invoke-AgnoParallel inside a step the step''s own variable' {
        $inner = 'the caller''s, not this one'
        $out = Invoke-AgnoParallel -Session (New-AgnoSession) {
            $inner = 'the step''s'
            1 | ForEach-Object -Parallel { "parallel: $using:inner" }
            Start-ThreadJob { "thread job: $using:inner" } | Receive-Job -Wait -AutoRemoveJob
        }
        $out | Should -Be @("parallel: the step's", "thread job: the step's")
    }

    It 'rewrites a $using: in a plain nested block, which runs in the step' {
        $caller = 'from the caller'
        Invoke-AgnoParallel -Session (New-AgnoSession) { 1 | ForEach-Object { $using:caller } } | Should -Be 'from the caller'
    }

    It 'reads $using:env:NAME as ForEach-Object -Parallel does' {
        $env:AGNO_TEST_PROMISE = 'env value'
        try {
            Invoke-AgnoParallel -Session (New-AgnoSession) { $using:env:AGNO_TEST_PROMISE; $null -eq $using:env:AGNO_TEST_UNSET } | Should -Be @('env value', $true)
        }
        finally { Remove-Item env:AGNO_TEST_PROMISE }
    }
}

Describe '-Variable with wildcards (item 14)' {
    It 'skips automatic and uncopyable variables instead of refusing the step' {
        function Invoke-Nightly {
            [CmdletBinding()] param([string] $Region = 'eu')
            $threshold = 42
            $uncopyable = { 'a scriptblock' }
            $step = New-AgnoStep report { "$Region $threshold" } -Variable *
            Invoke-AgnoWorkflow (New-AgnoWorkflow nightly $step) -Session (New-AgnoSession)
        }
        Invoke-Nightly | Should -Be 'eu 42'
    }

    It 'refuses an automatic variable named explicitly, naming it' {
        function Invoke-Explicit { [CmdletBinding()] param() New-AgnoStep s { 1 } -Variable PSBoundParameters -ErrorAction Stop }
        $err = Get-ThrownError { Invoke-Explicit }
        $err.FullyQualifiedErrorId | Should -BeLike 'AgnoInvalidArgument,*'
        $err.Exception.Message | Should -Match 'PSBoundParameters'
    }
}

Describe 'Writes inside a step never fail silently (item 15)' {
    It 'sets keys under $ConfirmPreference = ''Medium'' without asking' {
        $ConfirmPreference = 'Medium'
        $session = New-AgnoSession
        $run = Invoke-AgnoWorkflow (New-AgnoWorkflow w (New-AgnoStep save { Set-AgnoState -Key saved -Value 1; Remove-AgnoState -Key saved; Set-AgnoState -Key kept -Value 2 })) -Session $session -PassThru
        $run.Status | Should -Be 'Completed'
        Get-AgnoState -Session $session -Key kept | Should -Be 2
    }

    It 'fails the step on a failed Set-AgnoState, whatever the error preference, and commits nothing' {
        $session = New-AgnoSession
        $step = New-AgnoStep refused { Set-AgnoState -Key first -Value 1; Set-AgnoState -Key code -Value ([scriptblock]::Create('1')); Set-AgnoState -Key after -Value 1 }
        $err = Get-ThrownError { Invoke-AgnoWorkflow (New-AgnoWorkflow w $step) -Session $session -ErrorAction SilentlyContinue }
        $err.FullyQualifiedErrorId | Should -BeLike 'AgnoStepFailed,*'
        $err.Exception.Message | Should -Match "key 'code'"
        $session.State.Count | Should -Be 0
    }

    It 'lets a step catch a failed write and go on' {
        $session = New-AgnoSession
        Invoke-AgnoParallel -Session $session { try { Set-AgnoState -Key code -Value { 1 } } catch { Set-AgnoState -Key code -Value 'as text' } }
        Get-AgnoState -Session $session -Key code | Should -Be 'as text'
    }

    It 'keeps reads quiet under -ErrorAction SilentlyContinue inside a step' {
        $session = New-AgnoSession
        $run = Invoke-AgnoParallel -Session $session { $v = Get-AgnoState -Key missing -ErrorAction SilentlyContinue; Remove-AgnoState -Key missing -ErrorAction SilentlyContinue; Set-AgnoState -Key done -Value ($null -eq $v) } -PassThru
        $run.Status | Should -Be 'Completed'
        Get-AgnoState -Session $session -Key done | Should -BeTrue
    }

    It 'does not ask for confirmation in Invoke-AgnoWorkflow or Invoke-AgnoParallel themselves' {
        (Get-Command Invoke-AgnoWorkflow).Parameters.Keys | Should -Not -Contain 'Confirm'
        (Get-Command Invoke-AgnoParallel).Parameters.Keys | Should -Not -Contain 'Confirm'
    }
}

Describe 'New-AgnoSession inside an Inline step (item 16)' {
    It 'never replaces the caller''s current session' {
        $mine = New-AgnoSession
        Invoke-AgnoParallel -Isolation Inline { $null = New-AgnoSession; Set-AgnoState -Key inside -Value 1 }
        Set-AgnoState -Key after -Value 2
        $mine.State.Get('after') | Should -Be 2
        $mine.State.Get('inside') | Should -Be 1
    }
}

Describe 'Stream variables behave as for an advanced function (item 17)' {
    BeforeAll {
        # The oracle: an advanced function writing the same records as the step.
        function Write-AllStreams { [CmdletBinding()] param() Write-Warning 'w'; Write-Information 'i'; Write-Error 'e'; 'o' }
        $stepCode = { Write-Warning 'w'; Write-Information 'i'; Write-Error 'e'; 'o' }
    }

    It 'fills -WarningVariable, -InformationVariable, -ErrorVariable and -OutVariable as the oracle does under <Action>' -ForEach @(
        @{ Action = 'Continue' }, @{ Action = 'SilentlyContinue' }, @{ Action = 'Ignore' }
    ) {
        $common = @{ WarningAction = $Action; InformationAction = $Action; ErrorAction = $Action }
        $null = Write-AllStreams @common -WarningVariable ow -InformationVariable oi -ErrorVariable oe -OutVariable oo 2>$null 3>$null 6>$null
        $null = Invoke-AgnoParallel -Session (New-AgnoSession) $stepCode @common -WarningVariable aw -InformationVariable ai -ErrorVariable ae -OutVariable ao 2>$null 3>$null 6>$null
        @($aw).Count | Should -Be @($ow).Count -Because 'warnings'
        @($ai).Count | Should -Be @($oi).Count -Because 'information'
        @($ae).Count | Should -Be @($oe).Count -Because 'errors'
        @($ao).Count | Should -Be @($oo).Count -Because 'output'
    }

    It 'does the same under preference variables set to SilentlyContinue' {
        $WarningPreference = 'SilentlyContinue'; $InformationPreference = 'SilentlyContinue'
        $null = Write-AllStreams -WarningVariable ow -InformationVariable oi -ErrorAction SilentlyContinue
        $null = Invoke-AgnoParallel -Session (New-AgnoSession) $stepCode -WarningVariable aw -InformationVariable ai -ErrorAction SilentlyContinue
        @($aw).Count | Should -Be @($ow).Count
        @($ai).Count | Should -Be @($oi).Count
    }
}

Describe 'An error a step writes keeps its own id (item 18)' {
    It 'keeps PathNotFound,Microsoft.PowerShell.Commands.GetItemCommand, naming the branch in its details' {
        $null = Invoke-AgnoParallel -Session (New-AgnoSession) { Get-Item -LiteralPath '/no/such/path' } -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs[0].FullyQualifiedErrorId | Should -Be 'PathNotFound,Microsoft.PowerShell.Commands.GetItemCommand'
        $errs[0].ErrorDetails.Message | Should -Match '^\[Branch1\] '
    }

    It 'still reports a step''s own failure as AgnoStepFailed, with the original error inside' {
        $err = Get-ThrownError { Invoke-AgnoParallel -Session (New-AgnoSession) { Get-Item -LiteralPath '/no/such/path' -ErrorAction Stop } }
        $err.FullyQualifiedErrorId | Should -BeLike 'AgnoParallelFailed,*'
        $err.Exception.Failures[0].Error.InnerException.ErrorRecord.FullyQualifiedErrorId | Should -Be 'PathNotFound,Microsoft.PowerShell.Commands.GetItemCommand'
    }
}

Describe 'One error path for every cmdlet (item 19)' {
    It 'gives every error an Agno id, a category, a target and an AgnoException' {
        $session = New-AgnoSession
        $errors = @(
            Get-ThrownError { Get-AgnoState -Session $session -Key missing -ErrorAction Stop }
            Get-ThrownError { Remove-AgnoState -Session $session -Key missing -ErrorAction Stop }
            Get-ThrownError { Set-AgnoState -Session $session -Key k -Value { 1 } -ErrorAction Stop }
            Get-ThrownError { Get-AgnoState -Session $session -Key ' ' -ErrorAction Stop }
            Get-ThrownError { New-AgnoParallel p -Step (New-AgnoStep twin { 1 }), (New-AgnoStep twin { 2 }) }
            Get-ThrownError { Invoke-AgnoParallel -Session $session { throw 'x' } }
        )
        $errors.Count | Should -Be 6
        foreach ($e in $errors) {
            $e.FullyQualifiedErrorId | Should -Match '^Agno[A-Z]\w+,Agno\.Commands\.'
            $e.Exception | Should -BeOfType ([Agno.Core.AgnoException])
            $e.CategoryInfo.Category | Should -Not -Be 'NotSpecified'
        }
        $errors[0].TargetObject | Should -Be 'missing'
        $errors[2].TargetObject | Should -Be 'k'
    }

    It 'keeps a failed write on a deleted store non-terminating, so that -ErrorAction SilentlyContinue holds' {
        $store = Join-Path (New-TestDirectory) 'gone.db'
        $session = New-AgnoSession -SessionId gone -Store $store
        Set-AgnoState -Session $session -Key k -Value 1
        Remove-Item -LiteralPath $store
        Remove-AgnoState -Session $session -Key k -ErrorAction SilentlyContinue -ErrorVariable failed # a terminating error would fail the test here
        $failed[0].FullyQualifiedErrorId | Should -Match '^AgnoStore\w+,'
        $failed[0].Exception | Should -BeOfType ([Agno.Core.AgnoException])
    }
}

Describe 'Keys and dictionaries bind from the pipeline (item 21)' {
    It 'takes keys and dictionaries by value, as Get-Variable does' {
        $session = New-AgnoSession
        @{ a = 1; b = 2; c = 3 } | Set-AgnoState
        'a', 'b' | Get-AgnoState | Should -Be @(1, 2)
        'a' | Remove-AgnoState
        $session.State.Keys | Should -Be @('b', 'c')
    }
}

Describe 'Views (item 22)' {
    It 'shows every column of the step records at 80 columns' {
        $run = Invoke-AgnoWorkflow (New-AgnoWorkflow nightly (New-AgnoStep fetch-user-details { Set-AgnoState -Key user -Value 1 })) -Session (New-AgnoSession) -PassThru
        $table = $run.Steps | Format-Table | Out-String -Width 80
        foreach ($column in 'Path', 'Kind', 'Status', 'Duration', 'KeysChanged', 'Error') { $table | Should -Match $column }
    }

    It 'lists on a workflow''s record the keys its steps changed' {
        $wf = New-AgnoWorkflow nightly (New-AgnoStep a { Set-AgnoState -Key x -Value 1 }), (New-AgnoStep b { Set-AgnoState -Key y -Value 1 })
        $run = Invoke-AgnoWorkflow $wf -Session (New-AgnoSession) -PassThru
        $run.Root.KeysChanged | Should -Be @('x', 'y')
    }

    It 'shows Get-AgnoSession as a table' {
        $store = Join-Path (New-TestDirectory) 'views.db'
        $null = New-AgnoSession -SessionId nightly -UserId ops -Store $store
        $text = Get-AgnoSession -Store $store | Out-String -Width 80
        $text | Should -Match 'SessionId\s+UserId\s+Keys'
        $text | Should -Match 'nightly\s+ops'
    }

    It 'shows two branches'' progress with the default Id as two bars' {
        # Progress cannot be redirected: read it from the progress stream of a pipeline of its own.
        $ps = [powershell]::Create()
        $null = $ps.AddScript('param($m) Import-Module $m; $ProgressPreference = ''Continue''
            Invoke-AgnoParallel -Session (New-AgnoSession) { Write-Progress -Activity one -Status s }, { Write-Progress -Activity two -Status s }').AddArgument($AgnoModulePath)
        $null = $ps.Invoke()
        $own = @($ps.Streams.Progress | Where-Object { $_.Activity -match '\] (one|two)$' })
        $own.Count | Should -Be 2
        @($own.ActivityId | Select-Object -Unique).Count | Should -Be 2
        $ps.Dispose()
    }

    It 'shows a session''s own fields with Format-List *' {
        $session = New-AgnoSession -UserId ops -State @{ region = 'eu' }
        $text = $session | Format-List * | Out-String
        $text | Should -Match 'State\s+: 1 key: region'
        $text | Should -Not -Match 'Journal|Parent'
    }
}
