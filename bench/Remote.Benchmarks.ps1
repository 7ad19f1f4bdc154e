<#
.SYNOPSIS
    Benchmarks remote and process steps (issue 12) against PowerShell's own remoting, and writes
    bench/remote.md, the section of docs/benchmarks.md that bench/Invoke-Benchmarks.ps1 includes.
.DESCRIPTION
    Starts the private test sshd (tests/Servers/Sshd.psm1: two "hosts" on 127.0.0.1) and measures,
    each variant warm (run once unmeasured) and the variants of a case interleaved round by round:
      Step       one trivial step on an open SSH PSSession (Invoke-AgnoWorkflow of New-AgnoStep -PSSession),
                 and on Agno's own pooled connection (-HostName), against Invoke-Command -Session
                 running the same script. Target: at most 1.5x.
      Fan-out    2 hosts x 25 steps, each setting a key: Invoke-AgnoParallel -PSSession (a session
                 runs its steps in turn) and -HostName (pooled connections, up to 10 at once), against
                 the same work with Invoke-Command -Session on both sessions in a loop of 25.
      Process    one trivial step under -Isolation Process, warm, against one Start-Job running the
                 same script (Start-Job | Receive-Job -Wait). Target: at most 0.05x.
    Needs sshd (see Sshd.psm1: installed when missing on Debian as root). A run takes a few minutes.
.PARAMETER ModulePath
    The module folder to import (default: out/Agno, as build.ps1 lays it out).
.PARAMETER OutFile
    Where to write the markdown section (default: bench/remote.md).
.PARAMETER Rounds
    Rounds of the step and process cases (the fan-out runs a third as many, at least 3).
.EXAMPLE
    dotnet pwsh -NoProfile -File build.ps1 build; dotnet pwsh -NoProfile -File bench/Remote.Benchmarks.ps1
#>
[CmdletBinding()]
param(
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/Agno'),
    [string] $OutFile = (Join-Path $PSScriptRoot 'remote.md'),
    [ValidateRange(3, 1000)]
    [int] $Rounds = 30
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module (Join-Path (Resolve-Path $ModulePath) 'Agno.psd1') -Force
Import-Module (Join-Path $PSScriptRoot '../tests/Servers/Sshd.psm1') -Force

function Get-Median([double[]] $Samples) {
    $sorted = @($Samples | Sort-Object)
    $n = $sorted.Count
    if ($n % 2) { $sorted[($n - 1) / 2] } else { ($sorted[$n / 2 - 1] + $sorted[$n / 2]) / 2 }
}

# Runs each variant once unmeasured, then $Repeat rounds in which each runs once, timed; a variant
# whose Check fails throws (a benchmark that does not do its work must not report a fast time).
function Measure-Interleaved([System.Collections.Specialized.OrderedDictionary] $Variants, [int] $Repeat) {
    $samples = [ordered]@{}
    foreach ($name in $Variants.Keys) {
        $samples[$name] = [System.Collections.Generic.List[double]]::new()
        $null = & $Variants[$name]
    }
    for ($round = 0; $round -lt $Repeat; $round++) {
        foreach ($name in $Variants.Keys) {
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $result = & $Variants[$name]
            $clock.Stop()
            if (-not $result) { throw "Variant '$name' did not do its work." }
            $samples[$name].Add($clock.Elapsed.TotalMilliseconds)
        }
    }
    $samples
}

$sshd = Start-AgnoTestSshd
$sessions = @()
try {
    $options = [hashtable] $sshd.Options
    $login = @{ UserName = $sshd.UserName; KeyFilePath = $sshd.KeyFilePath; Options = $options }
    $sessions = foreach ($port in $sshd.Ports) { New-PSSession -HostName $sshd.HostName -Port $port @login }
    $hosts = foreach ($port in $sshd.Ports) { "$($sshd.HostName):$port" }
    $null = New-AgnoSession

    Write-Host 'Step: one trivial step on an open connection...'
    $onSession = New-AgnoStep trivial -PSSession $sessions[0] { 'hi' }
    $onPool = New-AgnoStep trivial -HostName $hosts[0] @login { 'hi' }
    $step = Measure-Interleaved ([ordered]@{
            'New-AgnoStep -PSSession'  = { (Invoke-AgnoWorkflow $onSession) -eq 'hi' }
            'New-AgnoStep -HostName'   = { (Invoke-AgnoWorkflow $onPool) -eq 'hi' }
            'Invoke-Command -Session'  = { (Invoke-Command -Session $sessions[0] { 'hi' }) -eq 'hi' }
        }) $Rounds

    Write-Host 'Fan-out: 2 hosts x 25 steps...'
    $blocks = foreach ($i in 1..25) { [scriptblock]::Create("Set-AgnoState -Key ""Step$i.`$PID"" -Value $i") }
    $fanOut = Measure-Interleaved ([ordered]@{
            'Invoke-AgnoParallel -PSSession'  = { Invoke-AgnoParallel -PSSession $sessions -ScriptBlock $blocks -ThrottleLimit 10; (Get-AgnoState -Key 'Step*').Count -ge 50 }
            'Invoke-AgnoParallel -HostName'   = { Invoke-AgnoParallel -HostName $hosts @login -ScriptBlock $blocks -ThrottleLimit 10; (Get-AgnoState -Key 'Step*').Count -ge 50 }
            'Invoke-Command -Session, loop'   = { $out = foreach ($i in 1..25) { Invoke-Command -Session $sessions { $PID } }; @($out).Count -eq 50 }
        }) ([Math]::Max(3, [int] ($Rounds / 3)))

    Write-Host 'Process: one trivial step, warm, against Start-Job...'
    $inChild = New-AgnoStep trivial -Isolation Process { 'hi' }
    $process = Measure-Interleaved ([ordered]@{
            'New-AgnoStep -Isolation Process' = { (Invoke-AgnoWorkflow $inChild) -eq 'hi' }
            'Start-Job, Receive-Job -Wait'    = { (Start-Job { 'hi' } | Receive-Job -Wait -AutoRemoveJob) -eq 'hi' }
        }) ([Math]::Max(3, [int] ($Rounds / 3)))
}
finally {
    if ($sessions) { Remove-PSSession $sessions }
    Remove-Module Agno
    Stop-AgnoTestSshd $sshd
}

function Format-Ms([double] $ms) { if ($ms -ge 100) { '{0:N0} ms' -f $ms } else { '{0:N1} ms' -f $ms } }
function Format-Case($Samples, [string] $Against) {
    $base = Get-Median $Samples[$Against]
    foreach ($name in $Samples.Keys) {
        $median = Get-Median $Samples[$name]
        $ratio = if ($name -eq $Against) { '1' } else { '{0:0.###}x' -f ($median / $base) }
        "| $name | $(Format-Ms $median) | $(Format-Ms ($Samples[$name] | Measure-Object -Minimum).Minimum) - $(Format-Ms ($Samples[$name] | Measure-Object -Maximum).Maximum) | $ratio |"
    }
}
function Get-Ratio($Samples, [string] $Name, [string] $Against) { (Get-Median $Samples[$Name]) / (Get-Median $Samples[$Against]) }

$stepRatio = Get-Ratio $step 'New-AgnoStep -PSSession' 'Invoke-Command -Session'
$poolRatio = Get-Ratio $step 'New-AgnoStep -HostName' 'Invoke-Command -Session'
$processRatio = Get-Ratio $process 'New-AgnoStep -Isolation Process' 'Start-Job, Receive-Job -Wait'
$load = if (Test-Path /proc/loadavg) { ((Get-Content /proc/loadavg) -split ' ')[0..2] -join ', ' } else { 'unknown' }
$lines = @(
    '## Remote and process steps (issue 12)'
    ''
    "Measured by ``bench/Remote.Benchmarks.ps1`` against the private test sshd (two sshd on 127.0.0.1 serving this repo's pwsh), $((Get-Date).ToUniversalTime().ToString('yyyy-MM-dd HH:mm')) UTC, load average $load at the end; $Rounds rounds (the fan-out and process cases $([Math]::Max(3, [int] ($Rounds / 3)))), every variant warm and the variants of a case interleaved. Reproduce with ``dotnet pwsh -NoProfile -File build.ps1 build; dotnet pwsh -NoProfile -File bench/Remote.Benchmarks.ps1``."
    ''
    '| target | measured | result |'
    '| --- | --- | --- |'
    "| One trivial step on an open SSH session: at most 1.5x Invoke-Command -Session | -PSSession: $('{0:0.##}x' -f $stepRatio); -HostName (pooled connection): $('{0:0.##}x' -f $poolRatio) | $(if ($stepRatio -le 1.5 -and $poolRatio -le 1.5) { 'met' } else { '**missed**' }) |"
    "| -Isolation Process, warm: one trivial step at most 0.05x one Start-Job | $('{0:0.####}x' -f $processRatio) | $(if ($processRatio -le 0.05) { 'met' } else { '**missed**' }) |"
    ''
    'A ratio is the row''s median over the last row''s of its table: below 1 the row is faster.'
    ''
    '| one trivial step | median | min - max | ratio |'
    '| --- | --- | --- | --- |'
    Format-Case $step 'Invoke-Command -Session'
    ''
    '| 2 hosts x 25 steps | median | min - max | ratio |'
    '| --- | --- | --- | --- |'
    Format-Case $fanOut 'Invoke-Command -Session, loop'
    ''
    '| one trivial step in another process | median | min - max | ratio |'
    '| --- | --- | --- | --- |'
    Format-Case $process 'Start-Job, Receive-Job -Wait'
    ''
    'An Agno step does more than Invoke-Command: it sends a typed copy of the state (and the caller''s preferences, $using: copies and arguments) and brings back the typed delta, forwards every stream tagged, and records the run. Opening a connection (ssh''s handshake, the remote pwsh''s start, loading the engine once) is not in these numbers: Agno keeps connections for later steps, as PSSessions are kept.'
)
$lines | Set-Content -LiteralPath $OutFile -Encoding utf8
$lines | Out-Host
