#Requires -Version 7.0
# Hardening (issue 6): the module driven as a user would break it. Each fault test asserts the error a
# user sees (FullyQualifiedErrorId and a message naming the culprit), the session afterwards (as before
# the failed node, or after the last completed step) and that the next invocation works. The catalogue
# of what is promised, and which test proves it, is docs/reliability.md.
# No Start-Sleep synchronises anything here: it is only the work of a step being stopped or timed out.
# Children report readiness on stdout and wait for a line on stdin; steps signal a shared event.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'AgnoTestSupport.psm1') -Force
    Import-AgnoForTest

    Initialize-TestSqlite

    # The shell is still usable: a new invocation on the session runs, merges and reads back.
    function Assert-ShellUsable($Session) {
        $marker = [guid]::NewGuid().ToString()
        $out = Invoke-AgnoParallel -Session $Session -ScriptBlock { Set-AgnoState -Key usable -Value $using:marker; 'ran' }
        $out | Should -Be 'ran'
        Get-AgnoState -Session $Session -Key usable | Should -Be $marker
        Remove-AgnoState -Session $Session -Key usable
    }

    # The state as text, to compare a session before and after a failed operation.
    function Get-StateText($Session) {
        $entries = [ordered]@{}
        foreach ($key in $Session.State.Keys) { $entries[$key] = Get-AgnoState -Session $Session -Key $key }
        [System.Management.Automation.PSSerializer]::Serialize($entries, 5)
    }

    function New-StoreDirectory {
        $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('n'))
        $null = New-Item -ItemType Directory -Path $dir
        $dir
    }

    # A value nested $Levels containers deep, built by $Wrap around the level below (no recursion).
    function New-DeepValue([int] $Levels, [scriptblock] $Wrap) {
        $value = 'leaf'
        for ($i = 0; $i -lt $Levels; $i++) { $value = & $Wrap $value }
        , $value
    }

    # Makes a file read-only the way this machine allows: the mode bits, or (as root, whom the mode
    # bits do not stop) the immutable attribute. Returns $false when it cannot be made read-only.
    function Set-FileReadOnly([string] $Path) {
        if ($IsWindows) { Set-ItemProperty -LiteralPath $Path -Name IsReadOnly -Value $true }
        else {
            & chmod 0444 $Path
            if ((Test-FileWritable $Path) -and (Get-Command chattr -ErrorAction SilentlyContinue)) { & chattr +i $Path 2>$null }
        }
        -not (Test-FileWritable $Path)
    }
    function Clear-FileReadOnly([string] $Path) {
        if ($IsWindows) { Set-ItemProperty -LiteralPath $Path -Name IsReadOnly -Value $false }
        else {
            if (Get-Command chattr -ErrorAction SilentlyContinue) { & chattr -i $Path 2>$null }
            & chmod 0600 $Path
        }
    }
    function Test-FileWritable([string] $Path) {
        try { [IO.File]::Open($Path, 'Open', 'ReadWrite', 'ReadWrite').Dispose(); $true } catch { $false }
    }

    # ---- the random values of the property-based tests ----

    # A random nested value: hashtables, [ordered], arrays (object[], int[], string[]), List[object],
    # ArrayList, PSCustomObjects and primitives. Deterministic for a given [Random].
    function New-RandomValue([System.Random] $Random, [int] $Depth = 0) {
        $pick = if ($Depth -ge 4) { $Random.Next(12) } elseif ($Depth -le 1 -and $Random.Next(10) -lt 6) { $Random.Next(12, 21) } else { $Random.Next(21) }
        switch ($pick) {
            0 { return $null }
            1 { return , [int] $Random.Next([int]::MinValue, [int]::MaxValue) }
            2 { return , ([long] $Random.Next() * 100003L) }
            3 { return , ([double] ($Random.NextDouble() * 1e6 - 5e5)) }
            4 { return , ([decimal] $Random.Next() / 100) }
            5 { return , ($Random.Next(2) -eq 0) }
            6 { return , (New-RandomText $Random) }
            7 { return , [char] $Random.Next(0x20, 0xD000) }
            8 { return , [datetime]::new([long] ($Random.NextDouble() * [datetime]::MaxValue.Ticks), [DateTimeKind] $Random.Next(3)) }
            9 { $bytes = [byte[]]::new(16); $Random.NextBytes($bytes); return , [guid]::new($bytes) }
            10 { $bytes = [byte[]]::new($Random.Next(0, 6)); $Random.NextBytes($bytes); return , $bytes }
            11 { return , [System.DayOfWeek] $Random.Next(7) }
            { $_ -in 12, 13 } {
                $table = @{}
                foreach ($key in @(New-RandomKeys $Random)) { $table[$key] = New-RandomValue $Random ($Depth + 1) }
                return , $table
            }
            14 {
                $ordered = [ordered]@{}
                foreach ($key in @(New-RandomKeys $Random)) { $ordered[$key] = New-RandomValue $Random ($Depth + 1) }
                return , $ordered
            }
            15 {
                $array = [object[]]::new($Random.Next(0, 5))
                for ($i = 0; $i -lt $array.Length; $i++) { $array[$i] = New-RandomValue $Random ($Depth + 1) }
                return , $array
            }
            16 {
                $list = [System.Collections.Generic.List[object]]::new()
                foreach ($i in 1..$Random.Next(1, 5)) { $list.Add((New-RandomValue $Random ($Depth + 1))) }
                return , $list
            }
            17 {
                $list = [System.Collections.ArrayList]::new()
                foreach ($i in 1..$Random.Next(1, 4)) { $null = $list.Add((New-RandomValue $Random ($Depth + 1))) }
                return , $list
            }
            18 {
                $ints = [int[]]::new($Random.Next(0, 5))
                for ($i = 0; $i -lt $ints.Length; $i++) { $ints[$i] = $Random.Next() }
                $strings = [string[]]::new($Random.Next(0, 4))
                for ($i = 0; $i -lt $strings.Length; $i++) { $strings[$i] = New-RandomText $Random }
                if ($Random.Next(2) -eq 0) { return , $ints }
                return , $strings
            }
            default {
                $properties = [ordered]@{}
                foreach ($key in @(New-RandomKeys $Random)) { $properties[$key] = New-RandomValue $Random ($Depth + 1) }
                return , ([pscustomobject] $properties)
            }
        }
    }
    function New-RandomText([System.Random] $Random) {
        $alphabet = @('a', 'b', 'X', ' ', '0', '_', 'é', '中', '🙂', "`t", "`n", '"', "'", '{', '$')
        -join @(for ($i = $Random.Next(0, 10); $i -gt 0; $i--) { $alphabet[$Random.Next($alphabet.Count)] })
    }
    function New-RandomKeys([System.Random] $Random) {
        $keys = [System.Collections.Generic.List[string]]::new()
        for ($i = $Random.Next(0, 5); $i -gt 0; $i--) {
            $key = 'k' + $Random.Next(50) + $(if ($Random.Next(2) -eq 0) { '' } else { 'Ü' })
            if (-not ($keys -contains $key)) { $keys.Add($key) } # -contains is case-insensitive, like @{}
        }
        $keys
    }

    # Throws unless $Actual has the structure, the types (all the way down), the key order of an
    # [ordered], the case-insensitivity of a hashtable, and the values of $Expected.
    function Assert-SameValue($Expected, $Actual, [string] $Path) {
        if ($null -eq $Expected) {
            if ($null -ne $Actual) { throw "${Path}: expected `$null, got [$($Actual.GetType())] $Actual" }
            return
        }
        if ($null -eq $Actual) { throw "${Path}: expected [$($Expected.GetType())], got `$null" }
        if ($Expected.GetType() -ne $Actual.GetType()) { throw "${Path}: expected [$($Expected.GetType())], got [$($Actual.GetType())]" }
        if ($Expected -is [System.Management.Automation.PSCustomObject]) {
            $ep = @($Expected.PSObject.Properties)
            $ap = @($Actual.PSObject.Properties)
            if (($ep.Name -join '|') -cne ($ap.Name -join '|')) { throw "${Path}: properties $($ep.Name -join ',') expected, $($ap.Name -join ',') found" }
            foreach ($p in $ep) { Assert-SameValue $p.Value $Actual.PSObject.Properties[$p.Name].Value "$Path.$($p.Name)" }
            return
        }
        if ($Expected -is [System.Collections.IDictionary]) {
            if ($Expected.Count -ne $Actual.Count) { throw "${Path}: $($Expected.Count) entries expected, $($Actual.Count) found" }
            $expectedKeys = @($Expected.Keys)
            if ($Expected -is [System.Collections.Specialized.OrderedDictionary] -and (($expectedKeys -join '|') -cne (@($Actual.Keys) -join '|'))) {
                throw "${Path}: key order $($expectedKeys -join ',') expected, $(@($Actual.Keys) -join ',') found"
            }
            foreach ($key in $expectedKeys) {
                if (-not $Actual.Contains($key)) { throw "${Path}: key '$key' missing" }
                if ($key -is [string] -and $Expected.Contains($key.ToUpperInvariant()) -ne $Actual.Contains($key.ToUpperInvariant())) {
                    throw "${Path}: the key comparer changed (case-insensitivity)"
                }
                Assert-SameValue $Expected[$key] $Actual[$key] "$Path[$key]"
            }
            return
        }
        if ($Expected -is [System.Collections.IList]) {
            if ($Expected.Count -ne $Actual.Count) { throw "${Path}: $($Expected.Count) items expected, $($Actual.Count) found" }
            for ($i = 0; $i -lt $Expected.Count; $i++) { Assert-SameValue $Expected[$i] $Actual[$i] "$Path[$i]" }
            return
        }
        if (-not [object]::Equals($Expected, $Actual)) { throw "${Path}: expected $Expected, got $Actual" }
        if ($Expected -is [datetime] -and $Expected.Kind -ne $Actual.Kind) { throw "${Path}: DateTime kind $($Expected.Kind) expected, $($Actual.Kind) found" }
    }

    # Every container inside a value (dictionaries, lists, arrays, PSCustomObjects), itself included.
    function Get-Container($Value) {
        if ($null -eq $Value) { return }
        if ($Value -is [System.Management.Automation.PSCustomObject]) {
            , $Value
            foreach ($p in $Value.PSObject.Properties) { Get-Container $p.Value }
        }
        elseif ($Value -is [System.Collections.IDictionary]) {
            , $Value
            foreach ($key in @($Value.Keys)) { Get-Container $Value[$key] }
        }
        elseif ($Value -is [System.Collections.IList]) {
            , $Value
            for ($i = 0; $i -lt $Value.Count; $i++) { Get-Container $Value[$i] }
        }
    }

    # Changes every container of a value: what must never reach the value it was copied from.
    function Invoke-Vandal($Value) {
        foreach ($c in @(Get-Container $Value)) {
            if ($c -is [System.Management.Automation.PSCustomObject]) {
                foreach ($p in @($c.PSObject.Properties)) { $p.Value = 'vandal' }
                $c | Add-Member -NotePropertyName vandal -NotePropertyValue 1
            }
            elseif ($c -is [System.Collections.IDictionary]) { $c.Clear(); $c['vandal'] = 1 }
            elseif ($c -is [array]) { if ($c.Length -gt 0) { $c[0] = $null } }
            elseif ($c -is [System.Collections.IList]) { $c.Clear() }
        }
    }

    function Assert-Independent($Original, $Copy, [string] $Path) {
        $mine = [System.Collections.Generic.HashSet[object]]::new([System.Collections.Generic.ReferenceEqualityComparer]::Instance)
        foreach ($c in @(Get-Container $Original)) { $null = $mine.Add($c) }
        foreach ($c in @(Get-Container $Copy)) {
            if ($mine.Contains($c)) { throw "${Path}: the copy shares a [$($c.GetType())] with the original" }
        }
    }
}

Describe 'Bad input' {
    It 'refuses a null or empty key at binding and a white-space key with AgnoInvalidArgument, stores nothing, and goes on' {
        $session = New-AgnoSession
        Set-AgnoState -Session $session -Key k -Value 1
        $before = Get-StateText $session

        foreach ($bad in $null, '') {
            $e = Get-ThrownError { Set-AgnoState -Session $session -Key $bad -Value 1 }
            $e.FullyQualifiedErrorId | Should -Be 'ParameterArgumentValidationError,Agno.Commands.SetAgnoStateCommand'
            $e.Exception.Message | Should -Match "parameter 'Key'"
        }
        $errors = $null
        Set-AgnoState -Session $session -Key '  ' -Value 1 -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -Be 'AgnoInvalidArgument,Agno.Commands.SetAgnoStateCommand'
        $errors[0].Exception.Message | Should -Match 'empty or white space'

        # -InputObject is all or nothing: the good key beside the bad one is not stored either
        $errors = $null
        Set-AgnoState -Session $session -InputObject @{ ' ' = 1; good = 2 } -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'AgnoInvalidArgument,*'
        $session.State.ContainsKey('good') | Should -BeFalse

        (Get-ThrownError { New-AgnoSession -State @{ "`t" = 1 } }).FullyQualifiedErrorId | Should -Be 'AgnoInvalidArgument,Agno.Commands.NewAgnoSessionCommand'

        # inside a step: the Set is refused; under -ErrorAction Stop the step fails and leaves nothing
        $e = Get-ThrownError { Invoke-AgnoParallel -Session $session -Name fan -ScriptBlock { Set-AgnoState -Key partial -Value 1; Set-AgnoState -Key ' ' -Value 1 -ErrorAction Stop } }
        $e.FullyQualifiedErrorId | Should -BeLike 'AgnoParallelFailed,*'
        $e.Exception.Message | Should -Match "'Branch1'.*empty or white space"

        Get-StateText $session | Should -Be $before
        Assert-ShellUsable $session
    }

    It 'refuses a white-space key in Get-AgnoState and Remove-AgnoState as Set-AgnoState does (AgnoInvalidArgument, non-terminating)' {
        $session = New-AgnoSession
        Set-AgnoState -Session $session -Key k -Value 1
        foreach ($command in 'Get-AgnoState', 'Remove-AgnoState') {
            $errors = $null
            # Called directly: a terminating error would fail the test here.
            & $command -Session $session -Key '  ' -ErrorVariable errors -ErrorAction SilentlyContinue
            $errors[0].FullyQualifiedErrorId | Should -BeLike 'AgnoInvalidArgument,*'
        }
        Get-AgnoState -Session $session -Key k | Should -Be 1
    }

    It 'keeps a $null value distinct from a missing key through a step, a merge and a store' {
        $store = Join-Path (New-StoreDirectory) 'null.db'
        $session = New-AgnoSession -SessionId nulls -Store $store
        Invoke-AgnoParallel -Session $session -ScriptBlock { Set-AgnoState -Key nothing -Value $null }, { Set-AgnoState -Key other -Value 1 }
        $session.State.ContainsKey('nothing') | Should -BeTrue
        Get-AgnoState -Session $session -Key nothing | Should -BeNullOrEmpty
        $reopened = New-AgnoSession -SessionId nulls -Store $store
        $reopened.State.ContainsKey('nothing') | Should -BeTrue
        $errors = $null
        $value = Get-AgnoState -Session $reopened -Key nothing -ErrorVariable errors
        $value | Should -BeNullOrEmpty
        $errors | Should -BeNullOrEmpty
        $null = Get-AgnoState -Session $reopened -Key missing -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'AgnoStateKeyNotFound,*'
    }

    It 'stores, reads, and passes through a step and a merge a 100 MB string, promptly' {
        $session = New-AgnoSession
        $big = [string]::new([char] 'x', 100MB)
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        Set-AgnoState -Session $session -Key big -Value $big
        (Get-AgnoState -Session $session -Key big).Length | Should -Be 100MB
        $out = Invoke-AgnoParallel -Session $session -ScriptBlock {
            $v = Get-AgnoState -Key big
            Set-AgnoState -Key bigger -Value ($v + 'y')
            $v.Length
        }
        $out | Should -Be 100MB
        (Get-AgnoState -Session $session -Key bigger).Length | Should -Be (100MB + 1)
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 30
        Remove-AgnoState -Session $session -Key big, bigger
        Assert-ShellUsable $session
    }

    It 'refuses a value that contains itself wherever a value comes in, naming where, and stores nothing' {
        $session = New-AgnoSession
        Set-AgnoState -Session $session -Key k -Value 1
        $before = Get-StateText $session
        $table = @{ name = 'loop' }; $table.self = $table
        $object = [pscustomobject]@{ name = 'loop' }; $object | Add-Member -NotePropertyName self -NotePropertyValue $object
        $list = [System.Collections.Generic.List[object]]::new(); $list.Add(@{ back = $list })

        foreach ($cyclic in $object, $list) {
            $errors = $null
            Set-AgnoState -Session $session -Key loop -Value $cyclic -ErrorVariable errors -ErrorAction SilentlyContinue
            $errors[0].FullyQualifiedErrorId | Should -Be 'AgnoStateValueRefused,Agno.Commands.SetAgnoStateCommand'
            $errors[0].TargetObject | Should -Be 'loop'
            $errors[0].Exception.Message | Should -Match "'loop'.*cycle"
        }
        $e = Get-ThrownError { New-AgnoSession -State @{ ok = 1; loop = $table } }
        $e.FullyQualifiedErrorId | Should -Be 'AgnoStateValueRefused,Agno.Commands.NewAgnoSessionCommand'
        $e.Exception.Message | Should -Match "'loop'.*cycle"
        (Get-ThrownError { New-AgnoSession -Input $table }).Exception.Message | Should -Match 'cycle'
        $session.History.Count | Should -Be 0

        $errors = $null
        $null = New-AgnoStep 'uses-loop' { $using:table } -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'AgnoInvalidArgument,*'
        $errors[0].Exception.Message | Should -Match "Step 'uses-loop' cannot take \`$using:table: .*cycle"
        $errors = $null
        $null = New-AgnoStep 'takes-loop' { param($t) $t } -ArgumentList (, $table) -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].Exception.Message | Should -Match "Step 'takes-loop' cannot take argument: .*cycle"

        $e = Get-ThrownError { Invoke-AgnoParallel -Session $session -Name fan -ScriptBlock { $t = @{}; $t.me = $t; Set-AgnoState -Key early -Value 1; Set-AgnoState -Key loop -Value $t -ErrorAction Stop } }
        $e.FullyQualifiedErrorId | Should -BeLike 'AgnoParallelFailed,*'
        $e.Exception.Message | Should -Match "'Branch1'.*'loop'.*cycle"

        Get-StateText $session | Should -Be $before
        Assert-ShellUsable $session
    }

    It 'names -Input when New-AgnoSession refuses its value' {
        $table = @{}; $table.self = $table
        $e = Get-ThrownError { New-AgnoSession -Input $table }
        $e.FullyQualifiedErrorId | Should -BeLike 'AgnoStateValueRefused,*'
        $e.Exception.Message | Should -Match 'Input'
    }

    It 'refuses a value nested 10,000 levels deep with AgnoStateValueRefused naming the key and the limit, never overflowing the stack' {
        $session = New-AgnoSession
        Set-AgnoState -Session $session -Key deep -Value 'before'
        $kinds = [ordered]@{
            hashtable = New-DeepValue 10000 { param($inner) @{ n = $inner } }
            ordered   = New-DeepValue 10000 { param($inner) [ordered]@{ n = $inner } }
            array     = New-DeepValue 10000 { param($inner) , @(1, $inner) }
            object    = New-DeepValue 10000 { param($inner) [pscustomobject]@{ n = $inner } }
            list      = New-DeepValue 10000 { param($inner) $l = [System.Collections.Generic.List[object]]::new(); $l.Add($inner); , $l }
        }
        foreach ($kind in $kinds.Keys) {
            $errors = $null
            Set-AgnoState -Session $session -Key deep -Value $kinds[$kind] -ErrorVariable errors -ErrorAction SilentlyContinue
            $errors.Count | Should -Be 1 -Because $kind
            $errors[0].FullyQualifiedErrorId | Should -Be 'AgnoStateValueRefused,Agno.Commands.SetAgnoStateCommand'
            $errors[0].TargetObject | Should -Be 'deep'
            $errors[0].Exception.Message | Should -Match "'deep'.*more than 100 levels deep"
        }
        Get-AgnoState -Session $session -Key deep | Should -Be 'before'

        $deep = $kinds['hashtable']
        $errors = $null
        $null = New-AgnoStep 'too-deep' { $using:deep } -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].Exception.Message | Should -Match "Step 'too-deep' cannot take \`$using:deep: .*100 levels"

        # built and set inside a step: the step fails, naming the key; a deep value a step outputs is not copied
        $e = Get-ThrownError { Invoke-AgnoWorkflow (New-AgnoWorkflow 'w' -Step (New-AgnoStep 'builder' {
                        $v = 'leaf'; foreach ($i in 1..10000) { $v = @{ n = $v } }
                        Set-AgnoState -Key deep -Value $v -ErrorAction Stop })) -Session $session }
        $e.FullyQualifiedErrorId | Should -Be 'AgnoStepFailed,Agno.Commands.InvokeAgnoWorkflowCommand'
        $e.Exception.Message | Should -Match "'builder'.*'deep'.*100 levels"
        $out = Invoke-AgnoParallel -Session $session -ScriptBlock { $v = 'leaf'; foreach ($i in 1..10000) { $v = @{ n = $v } }; $v }
        $out | Should -BeOfType [hashtable]

        Get-AgnoState -Session $session -Key deep | Should -Be 'before'
        Assert-ShellUsable $session
    }

    It 'opens again a stored session holding a value nested 30 levels deep (below the limit of 100)' {
        $store = Join-Path (New-StoreDirectory) 'deep.db'
        $session = New-AgnoSession -SessionId deep -Store $store
        Set-AgnoState -Session $session -Key deep -Value (New-DeepValue 30 { param($inner) @{ n = $inner } }) -ErrorAction Stop
        $reopened = New-AgnoSession -SessionId deep -Store $store
        $reopened.State.Keys | Should -Be 'deep'
    }

    It 'refuses a ScriptBlock as $using:, -ArgumentList and -InputObject value, naming the step or the key' {
        $session = New-AgnoSession
        $code = { 'code' }
        $errors = $null
        $null = New-AgnoStep 'uses-code' { & $using:code } -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].Exception.Message | Should -Match "Step 'uses-code' cannot take \`$using:code: it is a \[System\.Management\.Automation\.ScriptBlock\], which is code .* a ScriptBlock cannot be stored"
        $errors = $null
        $null = New-AgnoStep 'takes-code' { param($c) & $c } -ArgumentList $code -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].Exception.Message | Should -Match "Step 'takes-code' cannot take argument: it is a \[System\.Management\.Automation\.ScriptBlock\]"
        $errors = $null
        Set-AgnoState -Session $session -InputObject @{ fine = 1; code = $code } -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -Be 'AgnoStateValueRefused,Agno.Commands.SetAgnoStateCommand'
        $errors[0].Exception.Message | Should -Match "'code'.*ScriptBlock"
        $session.State.Count | Should -Be 0
        Assert-ShellUsable $session
    }

    It 'refuses a PSCustomObject whose property getter throws, naming the key and the property; copies a .NET object whose getter throws as remoting does' {
        $session = New-AgnoSession
        $object = [pscustomobject]@{ ok = 1 }
        $object | Add-Member -MemberType ScriptProperty -Name fragile -Value { throw 'getter broke' }
        $errors = $null
        Set-AgnoState -Session $session -Key obj -Value $object -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -Be 'AgnoStateValueRefused,Agno.Commands.SetAgnoStateCommand'
        $errors[0].Exception.Message | Should -Match "'obj'.*property 'fragile'.*getter broke"
        $session.State.ContainsKey('obj') | Should -BeFalse

        # A Process that was never started throws from most getters: remoting leaves those properties out
        Set-AgnoState -Session $session -Key process -Value ([System.Diagnostics.Process]::new())
        $process = Get-AgnoState -Session $session -Key process
        $process.PSObject.TypeNames[0] | Should -Be 'Deserialized.System.Diagnostics.Process'
        $process.PSObject.Properties['Id'] | Should -BeNullOrEmpty
        Assert-ShellUsable $session
    }

    It 'refuses non-string keys in -InputObject and -State naming the type; keeps the non-string keys of a stored value with their types' {
        $session = New-AgnoSession
        $errors = $null
        Set-AgnoState -Session $session -InputObject @{ 1 = 'one'; fine = 2 } -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -Be 'AgnoInvalidArgument,Agno.Commands.SetAgnoStateCommand'
        $errors[0].Exception.Message | Should -Match "\[Int32\] \('1'\); keys must be strings\. Nothing was stored"
        $session.State.Count | Should -Be 0
        $e = Get-ThrownError { New-AgnoSession -State @{ ([guid]::Empty) = 'x' } }
        $e.FullyQualifiedErrorId | Should -Be 'AgnoInvalidArgument,Agno.Commands.NewAgnoSessionCommand'
        $e.Exception.Message | Should -Match '\[Guid\].*keys must be strings'

        $when = [datetime]::new(2024, 2, 29, 0, 0, 0, [DateTimeKind]::Utc)
        $value = @{ 1 = 'int'; 2L = 'long'; ([guid]::Empty) = 'guid'; $when = 'date'; text = 'string' }
        $store = Join-Path (New-StoreDirectory) 'keys.db'
        $stored = New-AgnoSession -SessionId keys -Store $store
        Set-AgnoState -Session $stored -Key map -Value $value
        foreach ($read in (Get-AgnoState -Session $stored -Key map), (Get-AgnoState -Session (New-AgnoSession -SessionId keys -Store $store) -Key map)) {
            $read | Should -BeOfType [hashtable]
            $read[1] | Should -Be 'int'
            $read[2L] | Should -Be 'long'
            $read[[guid]::Empty] | Should -Be 'guid'
            $read[$when] | Should -Be 'date'
            @($read.Keys | ForEach-Object { $_.GetType().Name } | Sort-Object) | Should -Be @('DateTime', 'Guid', 'Int32', 'Int64', 'String')
        }
    }

    It 'refuses -ThrottleLimit and -TimeoutSeconds below 1 on every cmdlet, naming the parameter, before anything runs' {
        $session = New-AgnoSession
        $step = New-AgnoStep 's' { Set-AgnoState -Key ran -Value 1 }
        $cases = @(
            @{ Parameter = 'ThrottleLimit'; Action = { Invoke-AgnoParallel -Session $session -ThrottleLimit 0 -Step $step } }
            @{ Parameter = 'ThrottleLimit'; Action = { Invoke-AgnoParallel -Session $session -ThrottleLimit -3 -Step $step } }
            @{ Parameter = 'ThrottleLimit'; Action = { New-AgnoParallel 'p' -ThrottleLimit 0 -Step $step } }
            @{ Parameter = 'TimeoutSeconds'; Action = { Invoke-AgnoParallel -Session $session -TimeoutSeconds 0 -Step $step } }
            @{ Parameter = 'TimeoutSeconds'; Action = { Invoke-AgnoParallel -Session $session -TimeoutSeconds -1 -Step $step } }
            @{ Parameter = 'TimeoutSeconds'; Action = { New-AgnoParallel 'p' -TimeoutSeconds -1 -Step $step } }
            @{ Parameter = 'TimeoutSeconds'; Action = { New-AgnoStep 's' { 1 } -TimeoutSeconds -1 } }
            @{ Parameter = 'TimeoutSeconds'; Action = { Invoke-AgnoWorkflow (New-AgnoWorkflow 'w' -Step $step) -Session $session -TimeoutSeconds -5 } }
        )
        foreach ($case in $cases) {
            $e = Get-ThrownError $case.Action
            $e.FullyQualifiedErrorId | Should -BeLike 'ParameterArgumentValidationError,Agno.Commands.*' -Because $case.Action
            $e.Exception.Message | Should -Match "parameter '$($case.Parameter)'.*minimum allowed range of 1"
        }
        $session.State.Count | Should -Be 0
        $session.History.Count | Should -Be 0
    }

    It 'refuses an unknown -MergeStrategy, -ErrorPolicy or -Isolation, listing the valid names, before anything runs' {
        $session = New-AgnoSession
        $cases = @(
            @{ Parameter = 'MergeStrategy'; Valid = 'LastWriteWins, FirstWriteWins, Fail'; Action = { Invoke-AgnoParallel -Session $session -MergeStrategy Newest { Set-AgnoState -Key ran -Value 1 } } }
            @{ Parameter = 'MergeStrategy'; Valid = 'LastWriteWins, FirstWriteWins, Fail'; Action = { New-AgnoParallel 'p' -MergeStrategy Newest -Step (New-AgnoStep 's' { 1 }) } }
            @{ Parameter = 'ErrorPolicy'; Valid = 'Stop, Continue'; Action = { Invoke-AgnoParallel -Session $session -ErrorPolicy Ignore { Set-AgnoState -Key ran -Value 1 } } }
            @{ Parameter = 'Isolation'; Valid = 'Runspace, Inline'; Action = { Invoke-AgnoParallel -Session $session -Isolation Thread { Set-AgnoState -Key ran -Value 1 } } }
        )
        foreach ($case in $cases) {
            $e = Get-ThrownError $case.Action
            $e.FullyQualifiedErrorId | Should -BeLike 'CannotConvertArgumentNoMessage,Agno.Commands.*'
            $e.Exception.Message | Should -Match "parameter '$($case.Parameter)'"
            $e.Exception.Message | Should -Match ([regex]::Escape($case.Valid))
        }
        $session.State.Count | Should -Be 0
        $session.History.Count | Should -Be 0
    }

    It 'fails the merge of a workflow''s parallel node as a whole when its reducer throws, naming the key, and keeps the completed steps' {
        $session = New-AgnoSession
        $wf = New-AgnoWorkflow 'w' -Step @(
            New-AgnoStep 'setup' { Set-AgnoState -Key total -Value 10; Set-AgnoState -Key setup -Value 'done' }
            New-AgnoParallel 'fan' -Reducer @{ total = { param($base, $current, $incoming) if ($incoming -gt 12) { throw "too much: $incoming" }; $current + $incoming - $base } } -Step @(
                New-AgnoStep 'a' { Set-AgnoState -Key total -Value 11; Set-AgnoState -Key a -Value 1 }
                New-AgnoStep 'b' { Set-AgnoState -Key total -Value 15; Set-AgnoState -Key b -Value 1 }
            )
            New-AgnoStep 'after' { Set-AgnoState -Key after -Value 1 }
        )
        $e = Get-ThrownError { Invoke-AgnoWorkflow $wf -Session $session }
        $e.FullyQualifiedErrorId | Should -Be 'AgnoReducerFailed,Agno.Commands.InvokeAgnoWorkflowCommand'
        $e.TargetObject | Should -Be 'total'
        $e.Exception.Message | Should -Match "for key 'total' failed on branch 'b': .*too much: 15.* Nothing was merged"
        @($session.State.Keys) | Should -Be @('setup', 'total')
        Get-AgnoState -Session $session -Key total | Should -Be 10
        $session.History[-1].Steps.Status | Should -Be @('Completed', 'Failed', 'Completed', 'Completed', 'Pending')
        Assert-ShellUsable $session
    }

    It 'fails a scriptblock with a parse error where it is made, so that no branch ever starts' {
        $session = New-AgnoSession
        $e = Get-ThrownError { Invoke-AgnoParallel -Session $session -ScriptBlock { Set-AgnoState -Key ran -Value 1 }, ([scriptblock]::Create('if ($x -gt ) { "broken" }')) }
        $e.FullyQualifiedErrorId | Should -Be 'ParseException'
        $e.Exception.Message | Should -Match "following the '-gt' operator"
        $session.State.Count | Should -Be 0
        $session.History.Count | Should -Be 0
        Assert-ShellUsable $session
    }

    It 'runs a function''s scriptblock as a step under -Isolation Runspace as it does Inline' {
        function Get-Report { param($Name) Set-AgnoState -Key report -Value "for $Name"; "report for $Name" }
        foreach ($isolation in 'Inline', 'Runspace') {
            $session = New-AgnoSession
            $out = Invoke-AgnoWorkflow (New-AgnoWorkflow 'w' -Step (New-AgnoStep 'report' ${function:Get-Report} -ArgumentList 'ann')) -Session $session -Isolation $isolation
            $out | Should -Be 'report for ann' -Because $isolation
            Get-AgnoState -Session $session -Key report | Should -Be 'for ann'
        }
    }

    It 'brings in $using: of a variable whose name needs escaping in braces' {
        Set-Variable -Name 'a}b' -Value 5
        $out = Invoke-AgnoParallel -Session (New-AgnoSession) -ScriptBlock ([scriptblock]::Create('"v=${using:a`}b}"'))
        $out | Should -Be 'v=5'
    }
}

Describe 'Faults in steps' {
    It 'ends a step at return and completes it with what it set so far (<Isolation>)' -ForEach @(
        @{ Isolation = 'Runspace' }
        @{ Isolation = 'Inline' }
    ) {
        $session = New-AgnoSession
        $code = { Set-AgnoState -Key before -Value 1; 'out1'; return; Set-AgnoState -Key after -Value 1; 'out2' }
        $out = Invoke-AgnoWorkflow (New-AgnoWorkflow 'w' -Step (New-AgnoStep 'ends-early' $code)) -Session $session -Isolation $Isolation -PassThru
        @($out)[0] | Should -Be 'out1'
        $out[-1].Status | Should -Be 'Completed'
        @($session.State.Keys) | Should -Be @('before')
        Assert-ShellUsable $session
    }

    # PowerShell ends a hosted script on exit without telling its code, so exit (any code), and
    # break or continue outside a loop, fail the step rather than commit half of it.
    It 'fails a step that leaves with <End>, discarding what it set (<Isolation>)' -ForEach @(
        foreach ($isolation in 'Runspace', 'Inline') { foreach ($end in 'exit', 'exit 0', 'break', 'continue') { @{ Isolation = $isolation; End = $end } } }
    ) {
        $session = New-AgnoSession
        $code = [scriptblock]::Create("Set-AgnoState -Key before -Value 1; $End; Set-AgnoState -Key after -Value 1")
        $e = Get-ThrownError { Invoke-AgnoWorkflow (New-AgnoWorkflow 'w' -Step (New-AgnoStep 'ends-early' $code)) -Session $session -Isolation $Isolation }
        $e.FullyQualifiedErrorId | Should -BeLike 'AgnoStepFailed,*'
        $e.Exception.Message | Should -Match "'ends-early'.*exit"
        $session.State.Count | Should -Be 0
        Assert-ShellUsable $session
    }

    It 'fails a step that calls exit, naming the step and exit, leaving no change (<Isolation>)' -ForEach @(
        @{ Isolation = 'Runspace' }
        @{ Isolation = 'Inline' }
    ) {
        $session = New-AgnoSession
        $e = Get-ThrownError { Invoke-AgnoWorkflow (New-AgnoWorkflow 'w' -Step (New-AgnoStep 'quits' { Set-AgnoState -Key partial -Value 1; exit 3 })) -Session $session -Isolation $Isolation }
        $e.FullyQualifiedErrorId | Should -BeLike 'AgnoStepFailed,*'
        $e.Exception.Message | Should -Match "'quits'.*exit"
        $session.State.Count | Should -Be 0
    }

    It 'times out a step blocked in a .NET call that ignores Stop: AgnoTimedOut naming the step, the state as before, its runspace freed' {
        $session = New-AgnoSession
        Set-AgnoState -Session $session -Key value -Value 'before'
        $blocked = New-AgnoStep 'blocked' { Set-AgnoState -Key value -Value 'during'; [System.Threading.Thread]::Sleep(3000) } -TimeoutSeconds 1
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $e = Get-ThrownError { Invoke-AgnoWorkflow (New-AgnoWorkflow 'w' -Step $blocked) -Session $session }
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 12 # the timeout, then at most 10 s for the blocked call to return
        $e.FullyQualifiedErrorId | Should -Be 'AgnoTimedOut,Agno.Commands.InvokeAgnoWorkflowCommand'
        $e.TargetObject | Should -Be 'blocked'
        $e.Exception.Message | Should -Match "'blocked' exceeded its timeout of 1 s"
        Get-AgnoState -Session $session -Key value | Should -Be 'before'
        Get-BusyAgnoRunspace | Should -BeNullOrEmpty
        Assert-ShellUsable $session
    }

    It 'stops (Ctrl+C) a parallel node in the middle of its merge within 2 seconds, leaving the state as before' {
        $session = New-AgnoSession
        Set-AgnoState -Session $session -Key n -Value 10
        $started = New-SharedObject ([System.Threading.CountdownEvent]::new(1))
        $child = Start-ChildInvocation -Session $session -StartedName $started -Script {
            Invoke-AgnoParallel -Session $Session -Name fan -ScriptBlock { Set-AgnoState -Key n -Value 11; Set-AgnoState -Key a -Value 1 }, { Set-AgnoState -Key n -Value 12 } -Reducer @{
                n = {
                    param($base, $current, $incoming)
                    $null = [AppDomain]::CurrentDomain.GetData($using:StartedName).Signal()
                    Start-Sleep -Seconds 60 # the merge work that is stopped
                    $current + $incoming - $base
                }
            }
        }
        try {
            [AppDomain]::CurrentDomain.GetData($started).Wait(30000) | Should -BeTrue -Because 'the merge starts'
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            $child.Stop()
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 2
            $child.InvocationStateInfo.State | Should -Be 'Stopped'
            @($session.State.Keys) | Should -Be @('n')
            Get-AgnoState -Session $session -Key n | Should -Be 10
            $session.History[-1].Status | Should -Be 'Cancelled'
            Get-BusyAgnoRunspace | Should -BeNullOrEmpty
        }
        finally {
            Remove-ChildInvocation $child
            Remove-SharedObject $started
        }
        Assert-ShellUsable $session
    }

    It 'bounds the merge by the parallel node''s -TimeoutSeconds: AgnoTimedOut, nothing merged' {
        $session = New-AgnoSession
        Set-AgnoState -Session $session -Key n -Value 10
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $e = Get-ThrownError { Invoke-AgnoParallel -Session $session -Name fan -TimeoutSeconds 1 -ScriptBlock { Set-AgnoState -Key n -Value 11 }, { Set-AgnoState -Key n -Value 12 } -Reducer @{ n = { param($b, $c, $i) Start-Sleep -Seconds 5; $c + $i - $b } } }
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 4
        $e.FullyQualifiedErrorId | Should -BeLike 'AgnoTimedOut,*'
        Get-AgnoState -Session $session -Key n | Should -Be 10
    }
}

Describe 'Store faults' {
    It 'a read-only store file still opens and reads; each write fails with AgnoStoreWriteFailed naming the file and changes nothing' {
        $store = Join-Path (New-StoreDirectory) 'ro.db'
        $null = Invoke-ChildPwsh -ArgumentList $store -Script @'
param($ModulePath, $Store)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
Set-AgnoState -Session (New-AgnoSession -SessionId ro -Store $Store) -Key a -Value 1
'@
        if (-not (Set-FileReadOnly $store)) { Set-ItResult -Skipped -Because 'this machine cannot make a file read-only'; return }
        try {
            $session = New-AgnoSession -SessionId ro -Store $store
            Get-AgnoState -Session $session -Key a | Should -Be 1

            $errors = $null
            Set-AgnoState -Session $session -Key b -Value 2 -ErrorVariable errors -ErrorAction SilentlyContinue
            $errors[0].FullyQualifiedErrorId | Should -Be 'AgnoStoreWriteFailed,Agno.Commands.SetAgnoStateCommand'
            $errors[0].CategoryInfo.Category | Should -Be 'ResourceUnavailable'
            $errors[0].Exception.Message | Should -Match ([regex]::Escape($store))
            $errors[0].Exception.Message | Should -Match 'readonly database.*Nothing was saved'
            $session.State.ContainsKey('b') | Should -BeFalse

            $e = Get-ThrownError { Invoke-AgnoWorkflow (New-AgnoWorkflow 'w' -Step (New-AgnoStep 's' { Set-AgnoState -Key c -Value 3 })) -Session $session }
            $e.FullyQualifiedErrorId | Should -Be 'AgnoStoreWriteFailed,Agno.Commands.InvokeAgnoWorkflowCommand'
            @($session.State.Keys) | Should -Be @('a')

            $e = Get-ThrownError { New-AgnoSession -SessionId another -Store $store }
            $e.FullyQualifiedErrorId | Should -Be 'AgnoStoreWriteFailed,Agno.Commands.NewAgnoSessionCommand'
            Assert-ShellUsable (New-AgnoSession)
        }
        finally {
            Clear-FileReadOnly $store
        }
    }

    It 'writes again to a store whose file was made writable again, without restarting the shell' {
        $store = Join-Path (New-StoreDirectory) 'ro-again.db'
        $null = Invoke-ChildPwsh -ArgumentList $store -Script @'
param($ModulePath, $Store)
Import-Module $ModulePath
Set-AgnoState -Session (New-AgnoSession -SessionId ro -Store $Store) -Key a -Value 1
'@
        if (-not (Set-FileReadOnly $store)) { Set-ItResult -Skipped -Because 'this machine cannot make a file read-only'; return }
        try {
            $session = New-AgnoSession -SessionId ro -Store $store
            Set-AgnoState -Session $session -Key b -Value 2 -ErrorAction SilentlyContinue
        }
        finally {
            Clear-FileReadOnly $store
        }
        $session = New-AgnoSession -SessionId ro -Store $store
        Set-AgnoState -Session $session -Key b -Value 2 -ErrorAction Stop
        (Invoke-SqliteQuery $store "SELECT key FROM state WHERE session_id = 'ro' ORDER BY key").key | Should -Be @('a', 'b')
    }

    It 'a store locked by another process: a write waits the busy timeout, fails with AgnoStoreBusy naming the file, changes nothing, and works once the lock is gone' {
        $store = Join-Path (New-StoreDirectory) 'locked.db'
        $session = New-AgnoSession -SessionId locked -Store $store
        Set-AgnoState -Session $session -Key a -Value 1
        $locker = Start-ChildPwsh -ArgumentList $store -Script @'
param($ModulePath, $Store)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath # sets up the native SQLite the module bundles
$dir = Split-Path -Parent $ModulePath
foreach ($a in 'SQLitePCLRaw.core', 'SQLitePCLRaw.batteries_v2', 'Microsoft.Data.Sqlite') { Add-Type -LiteralPath (Join-Path $dir "$a.dll") }
[SQLitePCL.Batteries_V2]::Init()
$builder = [Microsoft.Data.Sqlite.SqliteConnectionStringBuilder]::new()
$builder.DataSource = $Store; $builder.Mode = 'ReadWrite'; $builder.Pooling = $false
$connection = [Microsoft.Data.Sqlite.SqliteConnection]::new($builder.ToString())
$connection.Open()
$command = $connection.CreateCommand()
$command.CommandText = 'BEGIN IMMEDIATE'
$null = $command.ExecuteNonQuery()
'locked'
$null = [Console]::In.ReadLine() # holds the write lock until told to let go
$command.CommandText = 'ROLLBACK'
$null = $command.ExecuteNonQuery()
$connection.Dispose()
'released'
'@
        try {
            Read-ChildLine $locker | Should -Be 'locked'
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            $errors = $null
            Set-AgnoState -Session $session -Key b -Value 2 -ErrorVariable errors -ErrorAction SilentlyContinue
            $waited = $clock.Elapsed.TotalSeconds
            $waited | Should -BeGreaterThan 9 -Because 'the busy timeout is 10 s'
            $waited | Should -BeLessThan 30
            $errors[0].FullyQualifiedErrorId | Should -Be 'AgnoStoreBusy,Agno.Commands.SetAgnoStateCommand'
            $errors[0].CategoryInfo.Category | Should -Be 'ResourceUnavailable'
            $errors[0].Exception.Message | Should -Match "$([regex]::Escape($store))' is locked by another writer.*nothing was saved"
            @($session.State.Keys) | Should -Be @('a')

            $locker.StandardInput.WriteLine('go')
            Read-ChildLine $locker | Should -Be 'released'
            $null = $locker.WaitForExit(30000)
        }
        finally {
            Stop-ChildPwsh $locker
        }
        Set-AgnoState -Session $session -Key b -Value 2 -ErrorAction Stop
        Invoke-AgnoWorkflow (New-AgnoWorkflow 'w' -Step (New-AgnoStep 's' { Set-AgnoState -Key c -Value 3 })) -Session $session
        (Invoke-SqliteQuery $store "SELECT key FROM state WHERE session_id = 'locked' ORDER BY key").key | Should -Be @('a', 'b', 'c')
    }

    It 'a store deleted while open: the next write fails naming the store, and New-AgnoSession -Store creates it afresh' {
        $dir = New-StoreDirectory
        $store = Join-Path $dir 'gone.db'
        $session = New-AgnoSession -SessionId gone -Store $store
        Set-AgnoState -Session $session -Key a -Value 1
        Get-ChildItem -LiteralPath $dir | Remove-Item -Force

        $errors = $null
        Set-AgnoState -Session $session -Key b -Value 2 -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'AgnoStore*'
        $errors[0].Exception.Message | Should -Match ([regex]::Escape($store))
        # A stored session reads what its store holds: with the file gone, reading fails too, naming it.
        Get-AgnoState -Session $session -Key a -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -Be 'AgnoStoreMissing,Agno.Commands.GetAgnoStateCommand'

        $fresh = New-AgnoSession -SessionId gone -Store $store
        Set-AgnoState -Session $fresh -Key c -Value 3 -ErrorAction Stop
        Test-Path -LiteralPath $store | Should -BeTrue
        (Invoke-SqliteQuery $store "SELECT key FROM state WHERE session_id = 'gone'").key | Should -Be 'c'
    }

    # A full disk, simulated cheaply and safely: the child runs under a 4 MB file size limit (ulimit -f,
    # SIGXFSZ ignored), so a write past it fails as on a full disk (SQLite's disk I/O error).
    It 'a full disk (a file size limit): the write fails with AgnoStoreWriteFailed naming the file, changes nothing, and a small write then works' -Skip:$IsWindows {
        $store = Join-Path (New-StoreDirectory) 'full.db'
        $lines = Invoke-ChildPwsh -ArgumentList $store -Shell 'ulimit -f 4096; trap "" XFSZ' -Environment @{ DOTNET_EnableWriteXorExecute = '0' } -Script @'
param($ModulePath, $Store)
Import-Module $ModulePath
$session = New-AgnoSession -SessionId full -Store $Store
Set-AgnoState -Session $session -Key small -Value 'before' -ErrorAction Stop
$errors = $null
Set-AgnoState -Session $session -Key big -Value ([string]::new([char] 'x', 8MB)) -ErrorVariable errors -ErrorAction SilentlyContinue
"set-error=$($errors[0].FullyQualifiedErrorId)"
"set-message=$($errors[0].Exception.Message)"
try {
    Invoke-AgnoWorkflow (New-AgnoWorkflow 'w' -Step (New-AgnoStep 'big-step' { Set-AgnoState -Key big2 -Value ([string]::new([char] 'y', 8MB)) })) -Session $session
    'step-error=none'
}
catch { "step-error=$($_.FullyQualifiedErrorId)" }
"keys=$(@($session.State.Keys) -join ',')"
Set-AgnoState -Session $session -Key small -Value 'after' -ErrorAction Stop
"small=$(Get-AgnoState -Session $session -Key small)"
'@
        $result = @{}
        foreach ($line in $lines) { $name, $value = $line -split '=', 2; $result[$name] = $value }
        $result['set-error'] | Should -Be 'AgnoStoreWriteFailed,Agno.Commands.SetAgnoStateCommand'
        $result['set-message'] | Should -Match "$([regex]::Escape($store))' could not be written: .*Nothing was saved"
        $result['step-error'] | Should -Be 'AgnoStoreWriteFailed,Agno.Commands.InvokeAgnoWorkflowCommand'
        $result['keys'] | Should -Be 'small'
        $result['small'] | Should -Be 'after'

        @(Invoke-SqliteQuery $store 'PRAGMA integrity_check').integrity_check | Should -Be @('ok')
        $reopened = New-AgnoSession -SessionId full -Store $store
        @($reopened.State.Keys) | Should -Be @('small')
        Get-AgnoState -Session $reopened -Key small | Should -Be 'after'
    }

    # Store.Tests.ps1 kills a process in the middle of a step; this one kills it while it commits, over
    # and over: every commit sets a, b and pad together and advances the session's version by one.
    It 'a process killed mid-commit leaves a sound file holding whole commits only (round <_>)' -ForEach 1, 2 {
        $store = Join-Path (New-StoreDirectory) 'killed.db'
        $child = Start-ChildPwsh -ArgumentList $store -Script @'
param($ModulePath, $Store)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$session = New-AgnoSession -SessionId killed -Store $Store
$pad = [string]::new([char] 'p', 512KB)
for ($i = 1; ; $i++) {
    Set-AgnoState -Session $session -InputObject @{ a = $i; b = $i; pad = "$i|$pad" }
    [Console]::Out.WriteLine($i)
    [Console]::Out.Flush()
}
'@
        $lastCommitted = 0
        try {
            $target = 10 + 13 * $_
            while ($lastCommitted -lt $target) {
                $line = Read-ChildLine $child
                if ($null -eq $line) { throw "The child ended before commit $target`: $($child.StandardError.ReadToEnd())" }
                $lastCommitted = [int] $line
            }
            $child.Kill() # SIGKILL on Unix, most likely in the commit that followed
            $child.WaitForExit(10000) | Should -BeTrue
        }
        finally {
            Stop-ChildPwsh $child
        }

        @(Invoke-SqliteQuery $store 'PRAGMA integrity_check').integrity_check | Should -Be @('ok')
        $rows = @{}
        foreach ($row in Invoke-SqliteQuery $store "SELECT key, value FROM state WHERE session_id = 'killed'") { $rows[$row.key] = $row.value }
        $a = [int] ($rows['a'] | ConvertFrom-Json).v
        ($rows['b'] | ConvertFrom-Json).v | Should -Be $a
        ($rows['pad'] | ConvertFrom-Json).v | Should -BeLike "$a|p*"
        $a | Should -BeGreaterOrEqual $lastCommitted
        (Invoke-SqliteQuery $store "SELECT version FROM sessions WHERE session_id = 'killed'").version | Should -Be $a

        $session = New-AgnoSession -SessionId killed -Store $store
        Get-AgnoState -Session $session -Key b | Should -Be $a
        Set-AgnoState -Session $session -Key after -Value 'works' -ErrorAction Stop
    }
}

Describe 'Load' {
    It 'Invoke-AgnoParallel with 1,000 branches merges every branch in branch order' {
        $session = New-AgnoSession
        Set-AgnoState -Session $session -Key count -Value 0
        $runspacesBefore = (Get-Runspace).Count
        $branch = {
            $name = $AgnoSession.NodeName
            Set-AgnoState -Key $name -Value ([int] $name.Substring(6))
            Set-AgnoState -Key last -Value $name
            Set-AgnoState -Key count -Value 1
            $name
        }
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $out = Invoke-AgnoParallel -Session $session -ScriptBlock (@($branch) * 1000) -Reducer @{ count = 'Sum' } -PassThru
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 60
        $run = $out[-1]
        $run.Status | Should -Be 'Completed'
        $run.Steps.Count | Should -Be 1000
        # the pipeline gets each branch's output as it comes; the session's Output is in branch order
        @($out | Select-Object -SkipLast 1 | Sort-Object { [int] $_.Substring(6) }) | Should -Be @(1..1000 | ForEach-Object { "Branch$_" })
        @($session.Output) | Should -Be @(1..1000 | ForEach-Object { "Branch$_" })
        $session.State.Count | Should -Be 1002
        Get-AgnoState -Session $session -Key Branch737 | Should -Be 737
        Get-AgnoState -Session $session -Key last | Should -Be 'Branch1000'
        Get-AgnoState -Session $session -Key count | Should -Be 1000
        @($run.Conflicts).Count | Should -Be 1
        (Get-Runspace).Count | Should -BeLessOrEqual ($runspacesBefore + 8)
        Get-BusyAgnoRunspace | Should -BeNullOrEmpty
    }

    It '10,000 Set-AgnoState calls in a row, and 10,000 in one step committed to a store at once' {
        $session = New-AgnoSession
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        for ($i = 0; $i -lt 10000; $i++) { Set-AgnoState -Session $session -Key "k$i" -Value $i }
        for ($i = 0; $i -lt 100; $i++) { Set-AgnoState -Session $session -Key k0 -Value $i }
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 60
        $session.State.Count | Should -Be 10000
        Get-AgnoState -Session $session -Key k9999 | Should -Be 9999
        Get-AgnoState -Session $session -Key k0 | Should -Be 99
        (Get-AgnoState -Session $session -AsHashtable).Count | Should -Be 10000

        $store = Join-Path (New-StoreDirectory) 'many.db'
        $stored = New-AgnoSession -SessionId many -Store $store
        $run = Invoke-AgnoWorkflow (New-AgnoWorkflow 'w' -Step (New-AgnoStep 'many' { for ($i = 0; $i -lt 10000; $i++) { Set-AgnoState -Key "k$i" -Value $i } })) -Session $stored -PassThru
        $run.Steps[0].KeysChanged.Count | Should -Be 10000
        (Invoke-SqliteQuery $store "SELECT COUNT(*) AS n FROM state WHERE session_id = 'many'").n | Should -Be 10000
        (Invoke-SqliteQuery $store "SELECT version FROM sessions WHERE session_id = 'many'").version | Should -Be 1
        $reopened = New-AgnoSession -SessionId many -Store $store
        $reopened.State.Count | Should -Be 10000
        Get-AgnoState -Session $reopened -Key k4321 | Should -Be 4321
    }

    # Every invocation's outcome is checked too: a run that failed must throw and one that completed
    # must write its output (a race once let a failed run end silently, about 1 in 1,000).
    It 'a soak of 2,000 invocations keeps runspaces, threads and memory flat, and each ends as it should' {
        $one = { Set-AgnoState -Key n -Value 1; 'ok' }
        $workflow = New-AgnoWorkflow 'two' -Step (New-AgnoStep 'first' { Set-AgnoState -Key a -Value 1 }), (New-AgnoStep 'second' { Set-AgnoState -Key b -Value ((Get-AgnoState -Key a) + 1); 'done' })
        $wrong = [System.Collections.Generic.List[string]]::new()
        $invoke = {
            param([int] $i)
            $session = New-AgnoSession
            switch ($i % 4) {
                0 { $out = Invoke-AgnoParallel -Session $session -ScriptBlock $one, $one; if (($out -join ',') -ne 'ok,ok') { $wrong.Add("$i parallel: $out") } }
                1 { $out = Invoke-AgnoWorkflow $workflow -Session $session; if ($out -ne 'done' -or (Get-AgnoState -Session $session -Key b) -ne 2) { $wrong.Add("$i workflow: $out") } }
                2 { $out = Invoke-AgnoParallel -Session $session -Isolation Inline -ScriptBlock $one; if ($out -ne 'ok') { $wrong.Add("$i inline: $out") } }
                3 {
                    if ($i % 100 -eq 3) {
                        $threw = $false
                        try { Invoke-AgnoParallel -Session $session { throw 'planned failure' } } catch { $threw = $_.FullyQualifiedErrorId -like 'AgnoParallelFailed,*' }
                        if (-not $threw) { $wrong.Add("$i failure did not throw AgnoParallelFailed") }
                    }
                    else {
                        $out = Invoke-AgnoParallel -Session $session -ScriptBlock $one -TimeoutSeconds 60 -PassThru
                        if (@($out).Count -ne 2 -or $out[0] -ne 'ok' -or $out[1].Status -ne 'Completed') { $wrong.Add("$i passthru: $out") }
                    }
                }
            }
        }
        $measure = {
            [pscustomobject]@{
                Runspaces = (Get-Runspace).Count
                Threads   = [System.Diagnostics.Process]::GetCurrentProcess().Threads.Count
                Memory    = [GC]::GetTotalMemory($true)
            }
        }
        foreach ($i in 0..99) { & $invoke $i } # warm-up: the pool, the caches and the thread pool fill
        $before = & $measure
        $samples = foreach ($round in 0..3) {
            foreach ($i in 0..499) { & $invoke ($round * 500 + $i) }
            & $measure
        }
        $wrong | Should -BeNullOrEmpty
        $after = $samples[-1]
        $after.Runspaces | Should -BeLessOrEqual $before.Runspaces
        $after.Threads | Should -BeLessOrEqual ($before.Threads + 10)
        ($after.Memory - $before.Memory) | Should -BeLessThan 30MB
        # flat, not merely bounded: the last half grows no more than the first
        $samples[3].Runspaces | Should -BeLessOrEqual $samples[1].Runspaces
        $samples[3].Threads | Should -BeLessOrEqual ($samples[1].Threads + 5)
        ($samples[3].Memory - $samples[1].Memory) | Should -BeLessThan 15MB
        Get-BusyAgnoRunspace | Should -BeNullOrEmpty
    }
}

Describe 'Property-based' {
    It 'round-trips 200 random nested values equal, of the same types and independent: Set and Get, through a branch, and through a store' {
        $count = 200
        $seed = 20240601
        $store = Join-Path (New-StoreDirectory) 'random.db'
        $session = New-AgnoSession
        $stored = New-AgnoSession -SessionId random -Store $store
        $all = @{}
        for ($n = 0; $n -lt $count; $n++) {
            $original = New-RandomValue ([System.Random]::new($seed + $n))
            $twin = New-RandomValue ([System.Random]::new($seed + $n)) # the same value, never touched
            $path = "case $n (seed $($seed + $n))"
            Set-AgnoState -Session $session -Key "v$n" -Value $original -ErrorAction Stop
            $copy = Get-AgnoState -Session $session -Key "v$n" -NoEnumerate
            Assert-SameValue $original $copy $path
            Assert-Independent $original $copy $path
            Invoke-Vandal $copy
            Assert-SameValue $twin $original "$path, original after its copy was changed"
            Invoke-Vandal $original
            Assert-SameValue $twin (Get-AgnoState -Session $session -Key "v$n" -NoEnumerate) "$path, state after the value set was changed"
            $all["v$n"] = $twin
        }

        # every value crosses into a step's runspace and back through the merge
        Invoke-AgnoParallel -Session $session -ScriptBlock {
            foreach ($entry in @(Get-AgnoState -Key 'v*')) { Set-AgnoState -Key ('w' + $entry.Key.Substring(1)) -Value $entry.Value }
        }, { Set-AgnoState -Key other -Value 1 }
        for ($n = 0; $n -lt $count; $n++) {
            Assert-SameValue $all["v$n"] (Get-AgnoState -Session $session -Key "w$n" -NoEnumerate) "case $n (seed $($seed + $n)), through a branch"
        }

        # and into a store and back from it
        Set-AgnoState -Session $stored -InputObject $all -ErrorAction Stop
        $reopened = New-AgnoSession -SessionId random -Store $store
        for ($n = 0; $n -lt $count; $n++) {
            Assert-SameValue $all["v$n"] (Get-AgnoState -Session $reopened -Key "v$n" -NoEnumerate) "case $n (seed $($seed + $n)), through a store"
        }
    }
}
