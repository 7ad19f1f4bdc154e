#Requires -Version 7.0
# Issue 11, item 11: ConvertTo-AgnoMermaid draws the main example's workflow and run; checked by their
# node and edge lines (what the picture is made of), and the README shows the same flowchart.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'AgnoTestSupport.psm1') -Force
    Import-AgnoForTest
    $ProgressPreference = 'SilentlyContinue'
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path

    # The main example, run as a user runs it, writing its pictures to files.
    $dir = New-TestDirectory
    $example = Join-Path $root 'examples/user-orders-report.ps1'
    $null = Invoke-ChildPwsh "param(`$ModulePath) & '$example' -Store '$(Join-Path $dir 'demo.db')' -MermaidPath '$dir' *> `$null" -TimeoutSeconds 120
    $flowchart = Get-Content -LiteralPath (Join-Path $dir 'account-review.flowchart.mmd') -Raw
    $gantt = Get-Content -LiteralPath (Join-Path $dir 'account-review.gantt.mmd') -Raw

    # A flowchart's boxes by label (id -> label) and its edges as 'from label -> to label'.
    function Read-Flowchart([string] $Text) {
        $labels = @{}
        foreach ($m in [regex]::Matches($Text, '(?m)^\s*(\w+)(?:\[/"|\[\\"|\[")(.*?)(?:"\\\]|"/\]|"\])\s*$')) { $labels[$m.Groups[1].Value] = $m.Groups[2].Value }
        $edges = foreach ($m in [regex]::Matches($Text, '(?m)^\s*(\w+) --> (\w+)\s*$')) { "$($labels[$m.Groups[1].Value]) -> $($labels[$m.Groups[2].Value])" }
        [pscustomobject]@{ Labels = $labels; Edges = @($edges) }
    }
}

Describe 'ConvertTo-AgnoMermaid -Workflow of the main example' {
    It 'is a flowchart with a box per step, a fan-out and a join for the parallel node, inside the workflow' {
        $lines = $flowchart -split '\n' | Where-Object { $_ }
        $lines[0] | Should -Be 'flowchart TD'
        $lines[1] | Should -Match '^\s+subgraph w\d+\["account-review"\]$'
        $chart = Read-Flowchart $flowchart
        @($chart.Labels.Values | Sort-Object) | Should -Be @('fetch', 'get-invoices', 'get-orders', 'get-tickets', 'get-user', 'merge fetch', 'report')
        $flowchart | Should -Match '(?m)^\s+n\d+\[/"fetch"\\\]$' -Because 'the fan-out is a trapezoid'
        $flowchart | Should -Match '(?m)^\s+n\d+\[\\"merge fetch"/\]$' -Because 'the join is an inverted trapezoid'
    }

    It 'has exactly the edges of the run: user, fan-out to each branch, each branch to the join, then the report' {
        $chart = Read-Flowchart $flowchart
        $chart.Edges | Sort-Object | Should -Be @(
            'fetch -> get-invoices', 'fetch -> get-orders', 'fetch -> get-tickets',
            'get-invoices -> merge fetch', 'get-orders -> merge fetch', 'get-tickets -> merge fetch',
            'get-user -> fetch', 'merge fetch -> report')
    }

    It 'is the flowchart the README shows' {
        $readme = Get-Content -LiteralPath (Join-Path $root 'README.md') -Raw
        $blocks = [regex]::Matches($readme, '(?ms)^```mermaid\r?\n(.*?)^```') | ForEach-Object { $_.Groups[1].Value }
        $blocks | Should -Contain ($flowchart -replace '\r\n', "`n")
    }
}

Describe 'ConvertTo-AgnoMermaid -Run' {
    It 'draws the main example''s run as a gantt: a section per top-level node, a done bar per node' {
        $lines = $gantt -split '\n' | Where-Object { $_ }
        $lines[0] | Should -Be 'gantt'
        $lines | Should -Contain '    dateFormat x'
        @($lines | Where-Object { $_ -match '^\s+section ' } | ForEach-Object { ($_ -replace '^\s+section ', '') }) | Should -Be 'get-user', 'fetch', 'report'
        $tasks = @($lines | Where-Object { $_ -match '^\s+(.+?) :(.*?)t\d+, (\d+), (\d+)$' } | ForEach-Object {
                [pscustomobject]@{ Name = $Matches[1]; Tags = $Matches[2].Trim(' ,'); Start = [long]$Matches[3]; End = [long]$Matches[4] }
            })
        $tasks.Name | Should -Be 'get-user', 'fetch', 'get-orders', 'get-invoices', 'get-tickets', 'report'
        $tasks.Tags | Should -Be (@('done') * 6)
        foreach ($t in $tasks) { $t.End | Should -BeGreaterThan $t.Start }
        ($tasks | Where-Object Name -EQ 'report').Start | Should -BeGreaterOrEqual ($tasks | Where-Object Name -EQ 'get-orders').End
    }

    It 'tags failed and timed-out nodes crit, and leaves out those that never started' {
        $session = New-AgnoSession
        $wf = New-AgnoWorkflow 'nightly: run' -Step (New-AgnoStep 'ok' { 1 }), (New-AgnoStep 'broken' { throw 'x' }), (New-AgnoStep 'never' { 2 })
        $caught = Get-ThrownError { Invoke-AgnoWorkflow $wf }
        $text = $caught.Exception.Run | ConvertTo-AgnoMermaid
        $text | Should -Match '(?m)^    ok :done, t\d+, \d+, \d+$'
        $text | Should -Match '(?m)^    broken :crit, t\d+, \d+, \d+$'
        $text | Should -Not -Match 'never'
        $text | Should -Match '(?m)^    title nightly\uA789 run\uA789 Failed'
    }
}

Describe 'ConvertTo-AgnoMermaid -Workflow labels' {
    It 'keeps names with quotes and # as Mermaid entity codes, and draws a Then chain in order' {
        $step = New-AgnoStep 'say "hi" #1' { 1 }
        ConvertTo-AgnoMermaid $step | Should -Match 'n1\["say #quot;hi#quot; #35;1"\]'
        $chain = New-AgnoStep a { 1 }
        $null = $chain.Then((New-AgnoStep b { 2 }))
        $chart = Read-Flowchart ($chain | ConvertTo-AgnoMermaid)
        $chart.Edges | Should -Be 'a -> b'
    }
}
