<#
.SYNOPSIS
    The seed's "use in a workflow" example: get-user stores user_info, get-orders reads it and
    stores orders, chained with $step1.Then($step2).
#>
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../out/Agno') -Force

$step1 = New-AgnoStep -Name 'get-user' -ScriptBlock {
    # Simulates fetching the user.
    $userInfo = @{ id = 'user-123'; name = 'Alice'; email = 'alice@example.com' }
    Set-AgnoState -Key user_info -Value $userInfo
}

$step2 = New-AgnoStep -Name 'get-orders' -ScriptBlock {
    # -ErrorAction Stop: without user_info the step fails, naming the missing key, and
    # the workflow stops there (the seed checks 'ok' and returns an error by hand).
    $userInfo = Get-AgnoState -Key user_info -ErrorAction Stop
    $userId = $userInfo.id

    # Simulates fetching the orders.
    $orders = 'order-1', 'order-2', 'order-3'
    Set-AgnoState -Key orders -Value $orders

    # A step's output reaches the caller's pipeline, as the seed's Printf reaches stdout.
    "Got $($orders.Count) orders for user $userId"
}

# Then() returns $step2, so longer chains read a.Then(b).Then(c).
$null = $step1.Then($step2)
$workflow = New-AgnoWorkflow -Name 'user-workflow' -Step $step1

$session = New-AgnoSession -SessionId 'session-123' -UserId 'user-456'
Invoke-AgnoWorkflow -Workflow $workflow -Session $session

$orders = Get-AgnoState -Session $session -Key orders
"Final orders: $($orders -join ', ') [$($orders.GetType().Name)]"

# Each run is kept in the session's history, with a record per step.
$session.History[-1].Steps | Format-Table | Out-Host
