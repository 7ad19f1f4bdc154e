<#
.SYNOPSIS
    The seed's parallel example: three branches all set 'counter' (1, 2, 3) and each sets its
    own branch_x_result.
.DESCRIPTION
    In the seed, counter "may be 1, 2 or 3 (depending on execution order)". Here branches are
    merged in the order they were given, whatever order they finish in, so counter is always 3;
    and the conflict on 'counter' is not silent: the run record lists it.
#>
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../out/Agno') -Force

# branch-a sleeps longest, so it tends to finish last; that changes nothing in the result.
$branchA = New-AgnoStep -Name 'branch-a' -ScriptBlock {
    Start-Sleep -Milliseconds 300
    Set-AgnoState -Key counter -Value 1
    Set-AgnoState -Key branch_a_result -Value 'done'
}
$branchB = New-AgnoStep -Name 'branch-b' -ScriptBlock {
    Start-Sleep -Milliseconds 150
    Set-AgnoState -Key counter -Value 2
    Set-AgnoState -Key branch_b_result -Value 'done'
}
$branchC = New-AgnoStep -Name 'branch-c' -ScriptBlock {
    Set-AgnoState -Key counter -Value 3
    Set-AgnoState -Key branch_c_result -Value 'done'
}

# LastWriteWins is the default strategy, written out here to show where it's chosen;
# -MergeStrategy Fail would refuse to merge anything instead.
$parallel = New-AgnoParallel -Name 'parallel' -Step $branchA, $branchB, $branchC -MergeStrategy LastWriteWins

$session = New-AgnoSession -SessionId 'session-123' -UserId 'user-456'
$run = Invoke-AgnoWorkflow -Workflow $parallel -Session $session -PassThru

"Counter: $(Get-AgnoState -Session $session -Key counter)"
$results = 'branch_a_result', 'branch_b_result', 'branch_c_result' | ForEach-Object { Get-AgnoState -Session $session -Key $_ }
"All branches completed: $($results -join ', ')"

Write-Host "`nConflicts recorded on the run:"
$run.Conflicts | Format-Table | Out-Host
$run.Steps | Format-Table | Out-Host
