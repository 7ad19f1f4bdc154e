BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'AgnoTestSupport.psm1') -Force
    Import-AgnoForTest
}

Describe 'New-AgnoSession makes a session that becomes the current one' {
    It 'gives a new GUID as SessionId unless one is given' {
        $a = New-AgnoSession
        $b = New-AgnoSession
        [guid]::Parse($a.SessionId) | Should -BeOfType [guid]
        $a.SessionId | Should -Not -Be $b.SessionId
    }

    It 'keeps SessionId, UserId and Input' {
        $s = New-AgnoSession -SessionId 'session-123' -UserId 'user-456' -Input 'initial input'
        $s.SessionId | Should -BeExactly 'session-123'
        $s.UserId | Should -BeExactly 'user-456'
        $s.Input | Should -BeExactly 'initial input'
    }

    It 'seeds the state from -State, keeping the value types' {
        $s = New-AgnoSession -State @{ count = [int] 3; when = [datetime] '2024-01-02' }
        $count = Get-AgnoState -Session $s -Key count
        $count | Should -BeOfType [int]
        $count | Should -Be 3
        Get-AgnoState -Session $s -Key when | Should -BeOfType [datetime]
    }

    It 'is used by the state cmdlets when -Session is omitted' {
        $older = New-AgnoSession
        $current = New-AgnoSession
        Set-AgnoState -Key where -Value 'current'
        Get-AgnoState -Session $current -Key where | Should -Be 'current'
        $older.State.ContainsKey('where') | Should -BeFalse
    }

    It 'refuses an empty SessionId' {
        { New-AgnoSession -SessionId '' } | Should -Throw
    }
}

Describe 'Values keep their types' {
    BeforeAll {
        $session = New-AgnoSession
    }

    It 'round-trips <Name> as [<Type>]' -ForEach @(
        @{ Name = 'an int'; Type = [int]; Value = [int] 42 }
        @{ Name = 'a long'; Type = [long]; Value = [long] 9000000000 }
        @{ Name = 'a double'; Type = [double]; Value = [double] 1.5 }
        @{ Name = 'a decimal'; Type = [decimal]; Value = [decimal] 10.25 }
        @{ Name = 'a bool'; Type = [bool]; Value = $true }
        @{ Name = 'a string'; Type = [string]; Value = 'Alice' }
        @{ Name = 'a DateTime'; Type = [datetime]; Value = [datetime]::new(2024, 5, 6, 7, 8, 9, [System.DateTimeKind]::Utc) }
        @{ Name = 'a DateTimeOffset'; Type = [datetimeoffset]; Value = [datetimeoffset]::new(2024, 5, 6, 7, 8, 9, [timespan]::FromHours(2)) }
        @{ Name = 'a TimeSpan'; Type = [timespan]; Value = [timespan]::FromMinutes(90) }
        @{ Name = 'a Guid'; Type = [guid]; Value = [guid] '0f8fad5b-d9cb-469f-a165-70867728950e' }
        @{ Name = 'an enum'; Type = [System.DayOfWeek]; Value = [System.DayOfWeek]::Friday }
    ) {
        Set-AgnoState -Session $session -Key value -Value $Value
        $read = Get-AgnoState -Session $session -Key value
        $read.GetType() | Should -Be $Type
        $read | Should -Be $Value
    }

    It 'keeps a DateTime''s Kind' {
        Set-AgnoState -Session $session -Key when -Value ([datetime]::new(2024, 1, 1, 0, 0, 0, [System.DateTimeKind]::Utc))
        (Get-AgnoState -Session $session -Key when).Kind | Should -Be ([System.DateTimeKind]::Utc)
    }

    It 'round-trips a byte[] as a byte[] with the same bytes' {
        Set-AgnoState -Session $session -Key bytes -Value ([byte[]] (1, 2, 255))
        $read = Get-AgnoState -Session $session -Key bytes -NoEnumerate
        $read.GetType() | Should -Be ([byte[]])
        $read -join ',' | Should -Be '1,2,255'
    }

    It 'gives back an empty array as an empty array, not $null' {
        Set-AgnoState -Session $session -Key list -Value @()
        $v = Get-AgnoState -Session $session -Key list -NoEnumerate
        $null -eq $v | Should -BeFalse
        $v.GetType() | Should -Be ([object[]])
        $v.Count | Should -Be 0
    }

    It 'gives back a one-element array as an array, not its element' {
        Set-AgnoState -Session $session -Key list -Value @('only')
        $v = Get-AgnoState -Session $session -Key list -NoEnumerate
        $v.GetType() | Should -Be ([object[]])
        $v.Count | Should -Be 1
        $v[0] | Should -BeExactly 'only'
        (, $v).Count | Should -Be 1
    }

    It 'keeps a typed array''s element type' {
        Set-AgnoState -Session $session -Key ints -Value ([int[]] (3, 1, 2))
        $v = Get-AgnoState -Session $session -Key ints -NoEnumerate
        $v.GetType() | Should -Be ([int[]])
        $v -join ',' | Should -Be '3,1,2'
    }

    It 'keeps a generic List as a List of the same item type' {
        $list = [System.Collections.Generic.List[string]]::new()
        $list.Add('a'); $list.Add('b')
        Set-AgnoState -Session $session -Key glist -Value $list
        $v = Get-AgnoState -Session $session -Key glist -NoEnumerate
        $v.GetType() | Should -Be ([System.Collections.Generic.List[string]])
        $v -join ',' | Should -Be 'a,b'
    }

    It 'keeps a hashtable a hashtable whose keys stay case-insensitive' {
        Set-AgnoState -Session $session -Key prefs -Value @{ Language = 'zh-CN'; Theme = 'dark' }
        $v = Get-AgnoState -Session $session -Key prefs
        $v | Should -BeOfType [hashtable]
        $v['THEME'] | Should -Be 'dark'
        $v.language | Should -Be 'zh-CN'
    }

    It 'keeps an [ordered] dictionary''s order and case-insensitivity' {
        Set-AgnoState -Session $session -Key ordered -Value ([ordered]@{ zulu = 1; alpha = 2; mike = 3 })
        $v = Get-AgnoState -Session $session -Key ordered
        $v | Should -BeOfType [System.Collections.Specialized.OrderedDictionary]
        @($v.Keys) -join ',' | Should -Be 'zulu,alpha,mike'
        $v['ALPHA'] | Should -Be 2
    }

    It 'keeps a PSCustomObject''s properties in order, with their types' {
        Set-AgnoState -Session $session -Key user -Value ([pscustomobject]@{ zname = 'Alice'; age = [int] 30; id = [guid]::Empty })
        $v = Get-AgnoState -Session $session -Key user
        $v | Should -BeOfType [System.Management.Automation.PSCustomObject]
        $v.PSObject.Properties.Name -join ',' | Should -Be 'zname,age,id'
        $v.age | Should -BeOfType [int]
        $v.id | Should -BeOfType [guid]
    }

    It 'keeps the types of values nested in containers' {
        $value = @{
            user  = [pscustomobject]@{ name = 'Alice'; tags = @('a', 'b') }
            order = [ordered]@{ second = [long] 2; first = [datetime] '2024-01-01' }
            list  = @(1, @{ deep = [decimal] 1.5 }, @('x'))
        }
        Set-AgnoState -Session $session -Key nested -Value $value
        $v = Get-AgnoState -Session $session -Key nested
        $v.user.name | Should -Be 'Alice'
        $v.user.tags.GetType() | Should -Be ([object[]])
        @($v.order.Keys) -join ',' | Should -Be 'second,first'
        $v.order.second | Should -BeOfType [long]
        $v.order.first | Should -BeOfType [datetime]
        $v.list[1] | Should -BeOfType [hashtable]
        $v.list[1].deep | Should -BeOfType [decimal]
        $v.list[2].GetType() | Should -Be ([object[]])
        $v.list[2].Count | Should -Be 1
    }
}

Describe 'Stored and read values are isolated copies' {
    BeforeEach {
        $session = New-AgnoSession
    }

    It 'does not change the state when the stored hashtable is mutated afterwards' {
        $h = @{ n = 1; inner = @{ list = [System.Collections.ArrayList]@(1) } }
        Set-AgnoState -Session $session -Key h -Value $h
        $h.n = 2
        $h.inner.list.Add(2)
        $h.added = $true
        $v = Get-AgnoState -Session $session -Key h
        $v.n | Should -Be 1
        $v.inner.list.Count | Should -Be 1
        $v.ContainsKey('added') | Should -BeFalse
    }

    It 'does not change the state when a read value is mutated' {
        Set-AgnoState -Session $session -Key h -Value @{ n = 1; list = [System.Collections.ArrayList]@('a') }
        $first = Get-AgnoState -Session $session -Key h
        $first.n = 99
        $first.list.Add('b')
        $second = Get-AgnoState -Session $session -Key h
        $second.n | Should -Be 1
        $second.list.Count | Should -Be 1
    }

    It 'does not change the state when a stored or read PSCustomObject is mutated' {
        $o = [pscustomobject]@{ name = 'Alice' }
        Set-AgnoState -Session $session -Key o -Value $o
        $o.name = 'Bob'
        $read = Get-AgnoState -Session $session -Key o
        $read.name | Should -Be 'Alice'
        $read.name = 'Carol'
        (Get-AgnoState -Session $session -Key o).name | Should -Be 'Alice'
    }

    It 'does not change the state when a stored array''s element is replaced' {
        $a = @(1, 2, 3)
        Set-AgnoState -Session $session -Key a -Value $a
        $a[0] = 100
        (Get-AgnoState -Session $session -Key a)[0] | Should -Be 1
    }
}

Describe 'Objects that cannot be copied faithfully are copied as remoting copies them' {
    BeforeEach {
        $session = New-AgnoSession
        $path = Join-Path $TestDrive 'file.txt'
        Set-Content -Path $path -Value 'hello'
    }

    It 'stores a Get-Process result as a deserialized property bag' {
        Set-AgnoState -Session $session -Key process -Value (Get-Process -Id $PID)
        $v = Get-AgnoState -Session $session -Key process
        $v.PSObject.TypeNames[0] | Should -Be 'Deserialized.System.Diagnostics.Process'
        $v.Id | Should -Be $PID
    }

    It 'stores a [System.Diagnostics.Process] made with ::new as a deserialized property bag without methods' {
        Set-AgnoState -Session $session -Key process -Value ([System.Diagnostics.Process]::new())
        $v = Get-AgnoState -Session $session -Key process
        $v.PSObject.TypeNames[0] | Should -BeLike 'Deserialized.*'
        $v | Should -Not -BeOfType [System.Diagnostics.Process]
        $v.PSObject.Methods.Name | Should -Not -Contain 'Kill'
    }

    It 'gives back a Get-Item result as a FileInfo, a type safe to rebuild' {
        Set-AgnoState -Session $session -Key file -Value (Get-Item $path)
        $v = Get-AgnoState -Session $session -Key file
        $v | Should -BeOfType [System.IO.FileInfo]
        $v.Length | Should -Be (Get-Item $path).Length
    }
}

Describe 'Values that cannot be stored are refused at the Set' {
    BeforeEach {
        $session = New-AgnoSession
    }

    It 'refuses a ScriptBlock, naming the key, and stores nothing' {
        Set-AgnoState -Session $session -Key code -Value { 'hi' } -ErrorVariable err -ErrorAction SilentlyContinue
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'AgnoStateValueRefused*'
        $err[0].Exception.Message | Should -Match "'code'"
        $err[0].Exception.Message | Should -Match 'ScriptBlock'
        $session.State.ContainsKey('code') | Should -BeFalse
    }

    It 'refuses a ScriptBlock nested in a hashtable' {
        Set-AgnoState -Session $session -Key outer -Value @{ inner = @{ code = { 1 } } } -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'AgnoStateValueRefused*'
        $session.State.ContainsKey('outer') | Should -BeFalse
    }

    It 'refuses a hashtable that contains itself, naming the key and the cycle' {
        $h = @{ name = 'loop' }
        $h.self = $h
        { Set-AgnoState -Session $session -Key loop -Value $h -ErrorAction Stop } |
            Should -Throw -ErrorId 'AgnoStateValueRefused*' -ExpectedMessage "*'loop'*cycle*"
        $session.State.ContainsKey('loop') | Should -BeFalse
    }

    It 'refuses nesting deeper than the documented limit (100)' {
        $deep = @{}
        $cursor = $deep
        foreach ($i in 1..150) { $next = @{}; $cursor.next = $next; $cursor = $next }
        { Set-AgnoState -Session $session -Key deep -Value $deep -ErrorAction Stop } |
            Should -Throw -ErrorId 'AgnoStateValueRefused*' -ExpectedMessage "*'deep'*100*"
        $session.State.ContainsKey('deep') | Should -BeFalse
    }

    It 'keeps the previous value of a key when a new value is refused' {
        Set-AgnoState -Session $session -Key k -Value 'before'
        Set-AgnoState -Session $session -Key k -Value { 'code' } -ErrorAction SilentlyContinue
        Get-AgnoState -Session $session -Key k | Should -Be 'before'
    }

    It 'is a non-terminating error: the script goes on' {
        $reached = $false
        Set-AgnoState -Session $session -Key code -Value { 1 } -ErrorAction SilentlyContinue
        $reached = $true
        $reached | Should -BeTrue
    }
}

Describe 'Keys are case-insensitive and keep their first casing' {
    It 'reads a key with any casing and shows the casing first written' {
        $session = New-AgnoSession
        Set-AgnoState -Session $session -Key UserName -Value 'Alice'
        Set-AgnoState -Session $session -Key USERNAME -Value 'Bob'
        Get-AgnoState -Session $session -Key username | Should -Be 'Bob'
        $entries = @(Get-AgnoState -Session $session)
        $entries.Count | Should -Be 1
        $entries[0].Key | Should -BeExactly 'UserName'
    }
}

Describe 'Get-AgnoState reports a missing key as a non-terminating ObjectNotFound error' {
    BeforeEach {
        $session = New-AgnoSession
    }

    It 'writes an AgnoStateKeyNotFound error that -ErrorVariable captures' {
        $v = Get-AgnoState -Session $session -Key missing -ErrorVariable err -ErrorAction SilentlyContinue
        $v | Should -BeNullOrEmpty
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'AgnoStateKeyNotFound*'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err[0].TargetObject | Should -Be 'missing'
    }

    It 'is silenced by -ErrorAction SilentlyContinue and does not stop the script' {
        # $Error holds at most $MaximumErrorCount records: emptied first, so that earlier test files cannot have filled it.
        $Error.Clear()
        $reached = $false
        $null = Get-AgnoState -Session $session -Key missing -ErrorAction SilentlyContinue
        $reached = $true
        $reached | Should -BeTrue
        $Error.Count | Should -Be 1
        $Error[0].FullyQualifiedErrorId | Should -BeLike 'AgnoStateKeyNotFound*'
    }

    It 'becomes terminating with -ErrorAction Stop' {
        { Get-AgnoState -Session $session -Key missing -ErrorAction Stop } | Should -Throw -ErrorId 'AgnoStateKeyNotFound*'
    }

    It 'tells a $null value apart from a missing key' {
        Set-AgnoState -Session $session -Key nothing -Value $null
        $v = Get-AgnoState -Session $session -Key nothing -ErrorVariable err
        $null -eq $v | Should -BeTrue
        $err.Count | Should -Be 0
        $session.State.ContainsKey('nothing') | Should -BeTrue
        (Get-AgnoState -Session $session -AsHashtable).ContainsKey('nothing') | Should -BeTrue
        @(Get-AgnoState -Session $session).Key | Should -Contain 'nothing'
    }
}

Describe 'Get-AgnoState with wildcards, several keys or none gives entries' {
    BeforeAll {
        $session = New-AgnoSession
        Set-AgnoState -Session $session -Key alpha -Value 1
        Set-AgnoState -Session $session -Key alps -Value @('x')
        Set-AgnoState -Session $session -Key beta -Value 'b'
    }

    It 'gives AgnoStateEntry objects for a wildcard' {
        $entries = @(Get-AgnoState -Session $session -Key 'al*')
        $entries.Count | Should -Be 2
        $entries | ForEach-Object { $_ | Should -BeOfType ([Agno.Commands.AgnoStateEntry]) }
        $entries.Key | Sort-Object | Should -Be @('alpha', 'alps')
        ($entries | Where-Object Key -EQ 'alpha').Value | Should -Be 1
    }

    It 'gives every entry when no key is given' {
        $entries = @(Get-AgnoState -Session $session)
        $entries.Key | Sort-Object | Should -Be @('alpha', 'alps', 'beta')
    }

    It 'gives entries for several plain keys' {
        $entries = @(Get-AgnoState -Session $session -Key alpha, beta)
        $entries.Key | Should -Be @('alpha', 'beta')
    }

    It 'gives no entry and no error for a wildcard that matches nothing' {
        $entries = @(Get-AgnoState -Session $session -Key 'zz*' -ErrorVariable err)
        $entries.Count | Should -Be 0
        $err.Count | Should -Be 0
    }

    It 'gives one case-insensitive hashtable with -AsHashtable' {
        $table = Get-AgnoState -Session $session -Key 'al*' -AsHashtable
        $table | Should -BeOfType [hashtable]
        $table.Count | Should -Be 2
        $table['ALPHA'] | Should -Be 1
        $table.alps.GetType() | Should -Be ([object[]])
    }

    It 'gives a hashtable of all keys with -AsHashtable and no key' {
        $table = Get-AgnoState -Session $session -AsHashtable
        @($table.Keys | Sort-Object) | Should -Be @('alpha', 'alps', 'beta')
    }

    It 'gives copies in entries: mutating them never changes the state' {
        $entry = Get-AgnoState -Session $session -Key 'alps*'
        $entry.Value[0] = 'changed'
        (Get-AgnoState -Session $session -Key alps)[0] | Should -Be 'x'
    }
}

Describe 'Set-AgnoState -InputObject sets several keys, all or nothing' {
    BeforeEach {
        $session = New-AgnoSession
    }

    It 'sets every key of the dictionary, with types kept' {
        Set-AgnoState -Session $session -InputObject @{ a = [int] 1; b = 'two'; c = @(3) }
        Get-AgnoState -Session $session -Key a | Should -BeOfType [int]
        Get-AgnoState -Session $session -Key b | Should -Be 'two'
        (Get-AgnoState -Session $session -Key c -NoEnumerate).GetType() | Should -Be ([object[]])
    }

    It 'stores nothing when one value is refused' {
        Set-AgnoState -Session $session -Key a -Value 'old'
        Set-AgnoState -Session $session -InputObject ([ordered]@{ a = 'new'; b = 'fine'; bad = { 'code' } }) -ErrorVariable err -ErrorAction SilentlyContinue
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'AgnoStateValueRefused*'
        $err[0].Exception.Message | Should -Match "'bad'"
        Get-AgnoState -Session $session -Key a | Should -Be 'old'
        $session.State.ContainsKey('b') | Should -BeFalse
        $session.State.ContainsKey('bad') | Should -BeFalse
    }
}

Describe 'Remove-AgnoState removes keys' {
    BeforeEach {
        $session = New-AgnoSession
        Set-AgnoState -Session $session -InputObject @{ tmp1 = 1; tmp2 = 2; keep = 3 }
    }

    It 'removes a key' {
        Remove-AgnoState -Session $session -Key tmp1
        $session.State.ContainsKey('tmp1') | Should -BeFalse
        $session.State.ContainsKey('tmp2') | Should -BeTrue
    }

    It 'removes the keys a wildcard matches' {
        Remove-AgnoState -Session $session -Key 'tmp*'
        @(Get-AgnoState -Session $session).Key | Should -Be @('keep')
    }

    It 'reports a missing key as a non-terminating ObjectNotFound error' {
        Remove-AgnoState -Session $session -Key missing, tmp1 -ErrorVariable err -ErrorAction SilentlyContinue
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'AgnoStateKeyNotFound*'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $session.State.ContainsKey('tmp1') | Should -BeFalse
    }
}

Describe '-WhatIf changes nothing' {
    BeforeEach {
        $session = New-AgnoSession
        Set-AgnoState -Session $session -Key k -Value 'original'
    }

    It 'Set-AgnoState -WhatIf stores nothing' {
        Set-AgnoState -Session $session -Key k -Value 'changed' -WhatIf
        Set-AgnoState -Session $session -Key new -Value 1 -WhatIf
        Set-AgnoState -Session $session -InputObject @{ k = 'x'; other = 2 } -WhatIf
        Get-AgnoState -Session $session -Key k | Should -Be 'original'
        $session.State.ContainsKey('new') | Should -BeFalse
        $session.State.ContainsKey('other') | Should -BeFalse
    }

    It 'Remove-AgnoState -WhatIf removes nothing' {
        Remove-AgnoState -Session $session -Key k -WhatIf
        Remove-AgnoState -Session $session -Key '*' -WhatIf
        Get-AgnoState -Session $session -Key k | Should -Be 'original'
    }

    It 'declares ShouldProcess on Set-AgnoState and Remove-AgnoState' {
        (Get-Command Set-AgnoState).Parameters.Keys | Should -Contain 'WhatIf'
        (Get-Command Set-AgnoState).Parameters.Keys | Should -Contain 'Confirm'
        (Get-Command Remove-AgnoState).Parameters.Keys | Should -Contain 'WhatIf'
        (Get-Command Remove-AgnoState).Parameters.Keys | Should -Contain 'Confirm'
    }
}

Describe 'Which session the state cmdlets act on' {
    It 'binds -Session from the pipeline' {
        $piped = New-AgnoSession
        $current = New-AgnoSession
        $piped | Set-AgnoState -Key k -Value 'piped'
        $piped | Get-AgnoState -Key k | Should -Be 'piped'
        $current.State.ContainsKey('k') | Should -BeFalse
        $piped | Remove-AgnoState -Key k
        $piped.State.ContainsKey('k') | Should -BeFalse
    }

    It 'uses the session most recently created by New-AgnoSession when -Session is omitted' {
        $first = New-AgnoSession
        Set-AgnoState -Key k -Value 'first'
        $second = New-AgnoSession
        Set-AgnoState -Key k -Value 'second'
        Get-AgnoState -Session $first -Key k | Should -Be 'first'
        Get-AgnoState -Session $second -Key k | Should -Be 'second'
        Get-AgnoState -Key k | Should -Be 'second'
    }

    It 'returns the session with -PassThru, and nothing without it' {
        $session = New-AgnoSession
        $none = Set-AgnoState -Session $session -Key k -Value 1
        $none | Should -BeNullOrEmpty
        $returned = Set-AgnoState -Session $session -Key k -Value 2 -PassThru
        [object]::ReferenceEquals($returned, $session) | Should -BeTrue
    }

    It 'chains Set-AgnoState -PassThru calls on one session' {
        $session = New-AgnoSession
        $null = $session | Set-AgnoState -Key a -Value 1 -PassThru | Set-AgnoState -Key b -Value 2 -PassThru
        Get-AgnoState -Session $session -Key a, b | ForEach-Object Value | Should -Be @(1, 2)
    }

    It 'is an error when there is no session at all' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$AgnoModulePath'; Get-AgnoState -Key k")
            $null = $ps.Invoke()
            $ps.Streams.Error.Count | Should -BeGreaterThan 0
            $ps.Streams.Error[0].FullyQualifiedErrorId | Should -BeLike 'AgnoNoSession*'
            $ps.Streams.Error[0].Exception.Message | Should -Match 'New-AgnoSession'
        }
        finally {
            $ps.Dispose()
        }
    }
}

Describe '-Key tab-completes the session''s keys' {
    BeforeAll {
        $session = New-AgnoSession
        Set-AgnoState -Key alpha -Value 1
        Set-AgnoState -Key alps -Value 2
        Set-AgnoState -Key beta -Value 3
        Set-AgnoState -Key 'with space' -Value 4
    }

    It 'completes Get-AgnoState -Key with the current session''s matching keys' {
        $line = 'Get-AgnoState -Key al'
        $result = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        @($result.CompletionMatches.CompletionText | Sort-Object) | Should -Be @('alpha', 'alps')
    }

    It 'completes every key when nothing is typed, for Set- and Remove-AgnoState too' {
        foreach ($command in 'Set-AgnoState', 'Remove-AgnoState') {
            $line = "$command -Key "
            $result = TabExpansion2 -inputScript $line -cursorColumn $line.Length
            $result.CompletionMatches.ListItemText | Should -Contain 'beta'
            $result.CompletionMatches.ListItemText | Should -Contain 'alpha'
        }
    }

    It 'quotes a key with a space' {
        $line = 'Get-AgnoState -Key wi'
        $result = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        $result.CompletionMatches.CompletionText | Should -Be "'with space'"
    }

    It 'completes the keys of the session given with -Session' {
        $global:AgnoCompletionTestSession = New-AgnoSession
        try {
            Set-AgnoState -Session $global:AgnoCompletionTestSession -Key onlyHere -Value 1
            $null = New-AgnoSession # the current session is now another, empty one
            $line = 'Get-AgnoState -Session $global:AgnoCompletionTestSession -Key on'
            $result = TabExpansion2 -inputScript $line -cursorColumn $line.Length
            $result.CompletionMatches.CompletionText | Should -Be 'onlyHere'
        }
        finally {
            Remove-Variable -Name AgnoCompletionTestSession -Scope Global
        }
    }
}
