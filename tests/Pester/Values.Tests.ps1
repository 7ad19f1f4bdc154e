#Requires -Version 7.0
# Values that survive copies and saves (issue 9 items 6, 7, 8 and 20), driven as a user drives them:
# Get-ChildItem results handed to a step with $using:, string forms, a StringBuilder, DateTimes saved
# in one time zone and read in another by two pwsh processes, $AgnoSession.Input changed by
# branches, and the messages of refused values.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'AgnoTestSupport.psm1') -Force
    Import-AgnoForTest
    Initialize-TestSqlite
}

Describe 'Copies keep their string form and stay usable' {
    BeforeEach {
        $dir = New-TestDirectory
        Set-Content -LiteralPath (Join-Path $dir 'app.log') -Value 'app line'
        Set-Content -LiteralPath (Join-Path $dir 'web.log') -Value 'web line'
        $store = Join-Path (New-TestDirectory) 'values.db'
    }

    It 'lets a step read the files of Get-ChildItem with Get-Content $using:files and through the pipeline' {
        $files = Get-ChildItem (Join-Path $dir '*.log')
        $session = New-AgnoSession
        $out = Invoke-AgnoWorkflow -Session $session (New-AgnoWorkflow read -Step @(
            New-AgnoStep by-path { Get-Content $using:files }
            New-AgnoStep by-pipeline { $using:files | Get-Content }
        ))
        $out | Should -Be @('app line', 'web line', 'app line', 'web line')
    }

    It 'gives back a stored file as a FileInfo with its PSPath and string form, in memory and from a store' {
        $files = Get-ChildItem (Join-Path $dir '*.log')
        $stored = New-AgnoSession -SessionId files -Store $store
        Set-AgnoState -Session $stored -Key files -Value $files
        $reopened = New-AgnoSession -SessionId files -Store $store
        foreach ($copy in $stored.State.Get('files'), $reopened.State.Get('files')) {
            $copy[0] | Should -BeOfType [System.IO.FileInfo]
            $copy[1] | Should -BeOfType [System.IO.FileInfo]
            "$($copy[0])" | Should -Be "$($files[0])"
            $copy[0].PSPath | Should -Be $files[0].PSPath
            $copy[0].PSIsContainer | Should -BeFalse
            $copy | Get-Content | Should -Be @('app line', 'web line')
        }
    }

    It 'prints a copy as the original prints: "$copy" of a remoting copy, copied again and saved' {
        $process = Get-Process -Id $PID
        $stored = New-AgnoSession -SessionId proc -Store $store
        Set-AgnoState -Session $stored -Key proc -Value $process
        $copy = $stored.State.Get('proc')
        $copy.PSObject.TypeNames[0] | Should -Be 'Deserialized.System.Diagnostics.Process'
        "$copy" | Should -Be "$process"
        "$($stored.State.Get('proc'))" | Should -Be "$process"
        $fromStep = Invoke-AgnoWorkflow -Session $stored (New-AgnoWorkflow w -Step (New-AgnoStep show { "$($AgnoSession.State.Get('proc'))" }))
        $fromStep | Should -Be "$process"
        "$((New-AgnoSession -SessionId proc -Store $store).State.Get('proc'))" | Should -Be "$process"
    }

    It 'binds a deserialized file from Import-Clixml to Get-Content in a step, by string and by PSPath' {
        Get-Item (Join-Path $dir 'app.log') | Export-Clixml (Join-Path $dir 'file.xml')
        $file = Import-Clixml (Join-Path $dir 'file.xml')
        $out = Invoke-AgnoParallel -Session (New-AgnoSession) -ScriptBlock { Get-Content $using:file }, { $using:file | Get-Content }
        $out | Should -Be @('app line', 'app line')
    }

    It 'keeps a StringBuilder''s text and type, in memory and from a store' {
        $builder = [System.Text.StringBuilder]::new('hello')
        $stored = New-AgnoSession -SessionId sb -Store $store
        Set-AgnoState -Session $stored -Key sb -Value $builder
        $null = $builder.Append(' changed')
        foreach ($copy in $stored.State.Get('sb'), (New-AgnoSession -SessionId sb -Store $store).State.Get('sb')) {
            $copy | Should -BeOfType [System.Text.StringBuilder]
            "$copy" | Should -BeExactly 'hello'
        }
        $out = Invoke-AgnoWorkflow -Session $stored (New-AgnoWorkflow w -Step (New-AgnoStep append { $sb = $using:builder; $null = $sb.Append('!'); "$sb" }))
        $out | Should -BeExactly 'hello changed!'
        "$builder" | Should -BeExactly 'hello changed'
    }

    It 'keeps an IPAddress, a DirectoryInfo, typed lists of PSCustomObjects and their type names and property order, in memory and from a store' {
        $stored = New-AgnoSession -SessionId misc -Store $store
        Set-AgnoState -Session $stored -Key ip -Value ([ipaddress]'10.1.2.3')
        Set-AgnoState -Session $stored -Key folder -Value (Get-Item $dir)
        Set-AgnoState -Session $stored -Key server -Value ([pscustomobject]@{ PSTypeName = 'Ops.Server'; Zeta = 1; Alpha = 'a' })
        Set-AgnoState -Session $stored -Key typed -Value ([pscustomobject[]]@([pscustomobject]@{ n = 1 }))
        Set-AgnoState -Session $stored -Key list -Value ([System.Collections.Generic.List[pscustomobject]]@([pscustomobject]@{ n = 2 }))
        foreach ($session in $stored, (New-AgnoSession -SessionId misc -Store $store)) {
            $session.State.Get('typed').GetType() | Should -Be ([pscustomobject[]])
            $session.State.Get('typed')[0].n | Should -Be 1
            $session.State.Get('list').GetType() | Should -Be ([System.Collections.Generic.List[pscustomobject]])
            $session.State.Get('list')[0].n | Should -Be 2
            $session.State.Get('ip') | Should -BeOfType [ipaddress]
            "$($session.State.Get('ip'))" | Should -Be '10.1.2.3'
            $session.State.Get('folder') | Should -BeOfType [System.IO.DirectoryInfo]
            $session.State.Get('folder').FullName | Should -Be $dir
            $server = $session.State.Get('server')
            $server.PSObject.TypeNames[0] | Should -Be 'Ops.Server'
            $server.PSObject.Properties.Name | Should -Be @('Zeta', 'Alpha')
        }
    }
}

Describe 'A DateTime read back is the same instant in any time zone' {
    BeforeEach {
        $store = Join-Path (New-TestDirectory) 'dates.db'
    }

    It 'reads in New York the Local, Utc and Unspecified DateTimes and the DateTimeOffset a Tokyo process saved' {
        $null = Invoke-ChildPwsh -ArgumentList $store -Environment @{ TZ = 'Asia/Tokyo' } -Script @'
param($ModulePath, $Store)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$s = New-AgnoSession -SessionId dates -Store $Store
Set-AgnoState -Session $s -Key local -Value ([datetime]::new(2024, 5, 6, 7, 8, 9, [DateTimeKind]::Local))
Set-AgnoState -Session $s -Key utc -Value ([datetime]::new(2024, 5, 6, 7, 8, 9, [DateTimeKind]::Utc))
Set-AgnoState -Session $s -Key wall -Value ([datetime]::new(2024, 5, 6, 7, 8, 9, [DateTimeKind]::Unspecified))
Set-AgnoState -Session $s -Key offset -Value ([datetimeoffset]::new(2024, 5, 6, 7, 8, 9, [timespan]::FromHours(9)))
Set-AgnoState -Session $s -Key nested -Value @{ at = @([datetime]::new(2024, 12, 31, 23, 30, 0, [DateTimeKind]::Local)) }
'@
        $read = Invoke-ChildPwsh -ArgumentList $store -Environment @{ TZ = 'America/New_York' } -Script @'
param($ModulePath, $Store)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$s = New-AgnoSession -SessionId dates -Store $Store
foreach ($key in 'local', 'utc', 'wall') {
    $d = $s.State.Get($key)
    '{0} {1} {2} {3}' -f $key, $d.Kind, $d.ToString('yyyy-MM-ddTHH:mm:ss'), $d.ToUniversalTime().ToString('o')
}
'offset ' + $s.State.Get('offset').ToString('o')
$n = $s.State.Get('nested').at[0]
'nested {0} {1}' -f $n.Kind, $n.ToUniversalTime().ToString('o')
'@
        $read | Should -Be @(
            'local Local 2024-05-05T18:08:09 2024-05-05T22:08:09.0000000Z'
            'utc Utc 2024-05-06T07:08:09 2024-05-06T07:08:09.0000000Z'
            'wall Unspecified 2024-05-06T07:08:09 2024-05-06T11:08:09.0000000Z'
            'offset 2024-05-06T07:08:09.0000000+09:00'
            'nested Local 2024-12-31T14:30:00.0000000Z'
        )
    }

    It 'still reads a DateTime and a DateTimeOffset a store holds in the previous format (ticks)' {
        $s = New-AgnoSession -SessionId old -Store $store
        Set-AgnoState -Session $s -Key when -Value 'placeholder'
        Set-AgnoState -Session $s -Key offset -Value 'placeholder'
        $ticks = [datetime]::new(2024, 2, 29, 13, 45, 10, [DateTimeKind]::Utc).Ticks
        Invoke-SqliteNonQuery $store "UPDATE state SET value = '{`"t`":`"dt`",`"v`":$ticks,`"k`":1}' WHERE key = 'when'"
        Invoke-SqliteNonQuery $store "UPDATE state SET value = '{`"t`":`"dto`",`"v`":$ticks,`"o`":540}' WHERE key = 'offset'"
        $reopened = New-AgnoSession -SessionId old -Store $store
        $when = $reopened.State.Get('when')
        $when.Kind | Should -Be 'Utc'
        $when.Ticks | Should -Be $ticks
        $reopened.State.Get('offset').Offset | Should -Be ([timespan]::FromHours(9))
        $reopened.State.Get('offset').Ticks | Should -Be $ticks
    }
}

Describe '$AgnoSession.Input and .Metadata are each step''s own copy' {
    It 'gives each branch its own Input, which never changes the caller''s (<Isolation>)' -ForEach @(
        @{ Isolation = 'Runspace' }
        @{ Isolation = 'Inline' }
    ) {
        $session = New-AgnoSession -Input @{ servers = [System.Collections.Generic.List[string]]@('web1') }
        $session.Metadata['owner'] = @{ team = 'ops' }
        $out = Invoke-AgnoParallel -Session $session -Isolation $Isolation -ScriptBlock {
            $AgnoSession.Input.servers.Add('from-a'); $AgnoSession.Metadata['owner'].team = 'a'; 'a:' + ($AgnoSession.Input.servers -join ',')
        }, {
            $AgnoSession.Input.servers.Add('from-b'); 'b:' + ($AgnoSession.Input.servers -join ',') + ':' + $AgnoSession.Metadata['owner'].team
        }
        $out | Sort-Object | Should -Be @('a:web1,from-a', 'b:web1,from-b:ops')
        $session.Input.servers | Should -Be @('web1')
        $session.Metadata['owner'].team | Should -Be 'ops'
    }

    It 'does not pass a step''s change to its Input on to the next step' {
        $session = New-AgnoSession -Input @{ count = 1 }
        $out = Invoke-AgnoWorkflow -Session $session (New-AgnoWorkflow w -Step @(
            New-AgnoStep first { $AgnoSession.Input.count = 99 }
            New-AgnoStep second { $AgnoSession.Input.count }
        ))
        $out | Should -Be 1
        $session.Input.count | Should -Be 1
    }
}

Describe 'A refused value names the key, the path to the refused part and its type as given' {
    BeforeEach {
        $session = New-AgnoSession
    }

    It 'names the item and the property of a PSCustomObject in a list: <Name>' -ForEach @(
        @{ Name = 'a property'; Value = { , @(1, [pscustomobject]@{ Name = 'x'; Action = { 'code' } }) }; Expected = "The value for key 'files' cannot be stored: [1].Action is a [System.Management.Automation.ScriptBlock], which is code bound to the runspace that made it" }
        @{ Name = 'a dictionary entry'; Value = { @{ Config = [ordered]@{ 'smtp host' = { 'code' } } } }; Expected = "The value for key 'files' cannot be stored: Config['smtp host'] is a [System.Management.Automation.ScriptBlock], which" }
        @{ Name = 'the value itself'; Value = { { 'code' } }; Expected = "The value for key 'files' cannot be stored: it is a [System.Management.Automation.ScriptBlock], which" }
    ) {
        $errors = $null
        Set-AgnoState -Session $session -Key files -Value (& $Value) -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -Be 'AgnoStateValueRefused,Agno.Commands.SetAgnoStateCommand'
        $errors[0].Exception.Message | Should -Match ('^' + [regex]::Escape($Expected))
        $errors[0].Exception.Message | Should -Match 'Nothing was stored\.$'
        $session.State.ContainsKey('files') | Should -BeFalse
    }

    It 'names a PSCustomObject that contains itself as a PSCustomObject, never a PSObject or a Hashtable' {
        $node = [pscustomobject]@{ Name = 'me' }
        $node | Add-Member -MemberType NoteProperty -Name Self -Value $node
        $errors = $null
        Set-AgnoState -Session $session -Key tree -Value @{ root = $node } -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].Exception.Message | Should -Match ('^' + [regex]::Escape("The value for key 'tree' cannot be stored: root.Self refers back to the [PSCustomObject] that contains it (a reference cycle)."))
        $errors[0].Exception.Message | Should -Not -Match 'PSObject\]|Hashtable\]'
    }

    It 'names the step, the $using: variable and the path' {
        $jobs = @([pscustomobject]@{ Run = { 'code' } })
        $errors = $null
        $null = New-AgnoStep uses-jobs { $using:jobs } -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'AgnoInvalidArgument,*'
        $errors[0].Exception.Message | Should -Match ('^' + [regex]::Escape("Step 'uses-jobs' cannot take `$using:jobs: [0].Run is a [System.Management.Automation.ScriptBlock], which"))
    }

    It 'names the path and the type of what a store cannot keep, and saves nothing' {
        $stored = New-AgnoSession -SessionId refused -Store (Join-Path (New-TestDirectory) 'refused.db')
        $errors = $null
        Set-AgnoState -Session $stored -Key settings -Value @{ config = [xml]'<config><smtp host="mail" /></config>' } -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -Be 'AgnoStateValueRefused,Agno.Commands.SetAgnoStateCommand'
        $errors[0].Exception.Message | Should -Match ('^' + [regex]::Escape("The value for key 'settings' cannot be stored: config is a [System.Xml.XmlDocument], which a store cannot keep."))
        $stored.State.ContainsKey('settings') | Should -BeFalse
    }
}
