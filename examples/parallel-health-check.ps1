<#
.SYNOPSIS
    An ops fan-out: check 20 servers in parallel, at most 5 at a time, and collect the unhealthy
    ones. One server can't be reached; the check goes on without it and reports it.
.DESCRIPTION
    The servers are simulated: each one's metrics come from its number, so every run gives the
    same answer. Replace Get-ServerMetric's body with a real probe (Invoke-Command, a REST
    call...) to use it for real.
#>
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../out/Agno') -Force

# Thresholds the caller owns. Each branch gets a copy through $using:config, so a branch can't
# change them for the others (ForEach-Object -Parallel would hand every branch the same object).
$config = @{
    MaxCpuPercent   = 85
    MinFreeDiskGB   = 20
    Unreachable     = 'web-13'   # the simulated outage
    ProbeDelayMs    = 100
}

# Stands in for a real probe; brought into each branch's runspace with -Function.
function Get-ServerMetric {
    param([string] $Name, [hashtable] $Config)
    if ($Name -eq $Config.Unreachable) { throw "Connection to ${Name}:5985 timed out." }
    Start-Sleep -Milliseconds $Config.ProbeDelayMs
    $n = [int]($Name -replace '\D', '')
    [pscustomobject]@{ Name = $Name; CpuPercent = ($n * 37) % 100; FreeDiskGB = ($n * 53) % 120 }
}

$servers = 1..20 | ForEach-Object { 'web-{0:d2}' -f $_ }

$checks = foreach ($server in $servers) {
    New-AgnoStep -Name $server -ArgumentList $server -Function Get-ServerMetric -ScriptBlock {
        param($Name)
        $limits = $using:config
        $metric = Get-ServerMetric -Name $Name -Config $limits
        $problems = @(
            if ($metric.CpuPercent -gt $limits.MaxCpuPercent) { "cpu $($metric.CpuPercent)%" }
            if ($metric.FreeDiskGB -lt $limits.MinFreeDiskGB) { "disk $($metric.FreeDiskGB) GB free" }
        )
        # Each server has its own key, so branches never touch each other's results.
        Set-AgnoState -Key "health.$Name" -Value ([pscustomobject]@{
                Cpu      = $metric.CpuPercent
                FreeDisk = $metric.FreeDiskGB
                Problems = $problems -join ', '
            })
        if ($problems) { Set-AgnoState -Key unhealthy -Value (@(Get-AgnoState -Key unhealthy) + $Name) }
        Set-AgnoState -Key checked -Value ((Get-AgnoState -Key checked) + 1)
    }
}

$session = New-AgnoSession -SessionId 'health-check' -State @{ unhealthy = [string[]]@(); checked = 0 }

# -ErrorPolicy Continue: one unreachable server must not throw away the other 19 results.
# Its failure comes back as a non-terminating error and in the run record. The errors are
# collected with -ErrorVariable and kept off the screen with 2>$null, not with
# -ErrorAction SilentlyContinue: that preference is passed into the steps, where it would
# make the probe's 'throw' be ignored (as it is in any advanced function).
# -ErrorAction Continue overrides this script's 'Stop', which would end the script at the
# first reported failure.
$run = Invoke-AgnoParallel -Session $session -Name 'health-check' -Step $checks -ThrottleLimit 5 `
    -ErrorPolicy Continue -Reducer @{ unhealthy = 'Union'; checked = 'Sum' } -PassThru `
    -ErrorAction Continue -ErrorVariable checkErrors 2>$null

Write-Host "Health check of $($servers.Count) servers, 5 at a time: $($run.Status) in $([int]$run.Duration.TotalMilliseconds) ms"

Get-AgnoState -Session $session -Key 'health.*' | ForEach-Object {
    [pscustomobject]@{
        Server   = $_.Key -replace '^health\.'
        Cpu      = $_.Value.Cpu
        FreeDisk = $_.Value.FreeDisk
        Problems = $_.Value.Problems
    }
} | Where-Object Problems | Sort-Object Server | Format-Table | Out-Host

"Checked: $(Get-AgnoState -Session $session -Key checked) of $($servers.Count)"
# Union merges in branch order, so the list is in server order without sorting.
"Unhealthy: $((Get-AgnoState -Session $session -Key unhealthy) -join ', ')"
foreach ($failure in $run.Failures) {
    "Unreachable: $($failure.Name) ($($failure.Error.InnerException.Message))"
}
foreach ($e in $checkErrors) { "Error reported: $($e.FullyQualifiedErrorId.Split(',')[0]) for $($e.TargetObject)" }
