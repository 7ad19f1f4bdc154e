# Runs every script in examples/ as a user would (a fresh pwsh, the module built in out/Agno),
# and checks that it exits 0 and prints the result it exists to show.
#
# The examples run concurrently, each in its own process, started in BeforeAll: one at a time
# they would take most of the time budget, most of it pwsh and runspace start-up.

BeforeDiscovery {
    # What each example must print (regexes, matched against its output with ANSI colours
    # removed). An example without an entry here fails, so a new example can't go untested.
    $expected = @{
        'user-orders-report.ps1'    = @(
            'Report for Alice \(user-123\): 3 orders, 4 open items'
            # findings merged in branch order, whatever order the branches finished in
            'findings\s+String\[\]\s+\{orders: 3 found, 1 delayed, invoices: 2 found, 1'
        )
        'seed-basic.ps1'            = @(
            'User Name: Alice'
            'User Age: 30 \[Int32\]'
        )
        'seed-workflow.ps1'         = @(
            'Got 3 orders for user user-123'
            'Final orders: order-1, order-2, order-3'
        )
        'seed-parallel.ps1'         = @(
            'Counter: 3'
            'counter\s+branch-a, branch-b, branch-c\s+branch-c\s+LastWriteWins'
        )
        'parallel-health-check.ps1' = @(
            'Checked: 19 of 20'
            'Unhealthy: web-07, web-08, web-16'
            'Unreachable: web-13 \(Connection to web-13:5985 timed out\.\)'
        )
    }
    $examples = foreach ($file in Get-ChildItem (Join-Path $PSScriptRoot '../../examples') -Filter *.ps1 | Sort-Object Name) {
        @{ Name = $file.Name; Path = $file.FullName; Expected = $expected[$file.Name] }
    }
}

Describe 'Examples' {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'AgnoTestSupport.psm1') -Force
        $pwshCommand = Get-PwshCommand
        $pwsh = $pwshCommand.Path
        $pwshArgs = $pwshCommand.Prefix

        # One thread job per example, each running the example in a child pwsh and returning
        # its output and exit code.
        $runs = @{}
        foreach ($example in Get-ChildItem (Join-Path $PSScriptRoot '../../examples') -Filter *.ps1) {
            $runs[$example.Name] = Start-ThreadJob -ThrottleLimit 8 -ArgumentList $pwsh, $pwshArgs, $example.FullName -ScriptBlock {
                param($Exe, $ExeArgs, $Script)
                $output = & $Exe @ExeArgs -NoProfile -NonInteractive -File $Script 2>&1
                [pscustomobject]@{
                    Output   = ($output | ForEach-Object { "$_" }) -join "`n" -replace '\e\[[0-9;]*m'
                    ExitCode = $LASTEXITCODE
                }
            }
        }
    }

    AfterAll {
        $runs.Values | Remove-Job -Force -ErrorAction SilentlyContinue
    }

    It '<Name> exits 0 and prints its result' -ForEach $examples {
        $Expected | Should -Not -BeNullOrEmpty -Because "every example needs an expectation in $(Split-Path $PSCommandPath -Leaf)"

        $result = $runs[$Name] | Wait-Job -Timeout 120 | Receive-Job
        $result | Should -Not -BeNullOrEmpty -Because "$Name should finish within 120 s"
        $result.ExitCode | Should -Be 0 -Because "$Name printed:`n$($result.Output)"
        foreach ($pattern in $Expected) {
            $result.Output | Should -Match $pattern -Because "$Name printed:`n$($result.Output)"
        }
    }
}
