<#
.SYNOPSIS
    The seed's user -> orders -> report workflow, as an ops script: an account review for a
    customer escalation.
.DESCRIPTION
    Step 1 looks the user up. Then three branches run in parallel, each fetching one kind of
    record (orders, invoices, support tickets) for that user; they share nothing while they run,
    and their changes are merged back in branch order. Last, a report step reads everything.

    The session lives in a SQLite store (-Store, else $env:AGNO_STORE, else out/demo/agno-demo.db),
    so a second run opens the session the first one left, and -Resume continues a run that was
    stopped half-way instead of starting it again.

    The data is simulated (no network), so the run is the same every time. Run it with
    'build.ps1 demo', or directly once the module is built: & examples/user-orders-report.ps1

    -MermaidPath writes pictures of the workflow (account-review.flowchart.mmd, a Mermaid flowchart)
    and of the run (account-review.gantt.mmd, a Mermaid gantt) in that folder: the README shows them.
#>
param(
    [string] $Store = $(if ($env:AGNO_STORE) { $env:AGNO_STORE } else { [IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../out/demo/agno-demo.db')) }),
    [string] $MermaidPath
)
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../out/Agno') -Force

# The simulated back ends. Steps run in their own runspaces and can't see caller variables;
# $using:backend gives each step its own copy.
$backend = @{
    Users    = @{
        'user-123' = [ordered]@{ id = 'user-123'; name = 'Alice'; email = 'alice@example.com'; tier = 'gold' }
    }
    Orders   = @{
        'user-123' = @(
            [pscustomobject]@{ Id = 'order-1'; Total = [decimal]120.00; Status = 'Delivered' }
            [pscustomobject]@{ Id = 'order-2'; Total = [decimal]89.50; Status = 'Delayed' }
            [pscustomobject]@{ Id = 'order-3'; Total = [decimal]15.25; Status = 'Delivered' }
        )
    }
    Invoices = @{
        'user-123' = @(
            [pscustomobject]@{ Id = 'inv-1001'; Amount = [decimal]120.00; Paid = $true }
            [pscustomobject]@{ Id = 'inv-1002'; Amount = [decimal]89.50; Paid = $false }
        )
    }
    Tickets  = @{
        'user-123' = @(
            [pscustomobject]@{ Id = 'T-501'; Subject = 'Where is order-2?'; Open = $true }
            [pscustomobject]@{ Id = 'T-502'; Subject = 'Charged for a delayed order'; Open = $true }
            [pscustomobject]@{ Id = 'T-480'; Subject = 'Password reset'; Open = $false }
        )
    }
}

$known = if (Test-Path $Store) { Get-AgnoSession -Store $Store -SessionId 'escalation-4711' }
if ($known) {
    Write-Host ("Opening session escalation-4711 from {0}: {1} keys, {2} commits, last run {3}." -f $Store, $known.KeyCount, $known.Version, $known.LastRunStatus) -ForegroundColor Cyan
}
else {
    Write-Host "Creating session escalation-4711 in $Store." -ForegroundColor Cyan
}
$session = New-AgnoSession -SessionId 'escalation-4711' -UserId 'ops-oncall' -Input 'user-123' -Store $Store -Force # -Force: out/demo may not exist yet
Set-AgnoState -Key reviews -Value ((Get-AgnoState -Key reviews -ErrorAction SilentlyContinue) + 1)

# 'findings' and 'open_items' are written by every branch: without reducers the last branch
# would overwrite the others (last-write-wins). Resetting them here gives the reducers a base
# to diff each branch against.
$getUser = New-AgnoStep -Name 'get-user' -ScriptBlock {
    $userId = $AgnoSession.Input
    $user = ($using:backend).Users[$userId]
    if (-not $user) { throw "No user '$userId'." }
    Set-AgnoState -Key user_info -Value $user
    Set-AgnoState -Key findings -Value ([string[]]@())
    Set-AgnoState -Key open_items -Value 0
}

# The sleeps stand in for slow back ends: the branches finish in whatever order they happen
# to, but their changes are merged in the order given (orders, invoices, tickets), so
# 'findings' reads the same on every run.
$getOrders = New-AgnoStep -Name 'get-orders' -ScriptBlock {
    $user = Get-AgnoState -Key user_info
    Start-Sleep -Milliseconds 300
    $orders = ($using:backend).Orders[$user.id]
    $delayed = @($orders | Where-Object Status -EQ 'Delayed')
    Set-AgnoState -Key orders -Value $orders
    Set-AgnoState -Key findings -Value (@(Get-AgnoState findings) + "orders: $($orders.Count) found, $($delayed.Count) delayed")
    Set-AgnoState -Key open_items -Value ((Get-AgnoState open_items) + $delayed.Count)
}

$getInvoices = New-AgnoStep -Name 'get-invoices' -ScriptBlock {
    $user = Get-AgnoState -Key user_info
    Start-Sleep -Milliseconds 150
    $invoices = ($using:backend).Invoices[$user.id]
    $unpaid = @($invoices | Where-Object { -not $_.Paid })
    Set-AgnoState -Key invoices -Value $invoices
    Set-AgnoState -Key findings -Value (@(Get-AgnoState findings) + "invoices: $($invoices.Count) found, $($unpaid.Count) unpaid")
    Set-AgnoState -Key open_items -Value ((Get-AgnoState open_items) + $unpaid.Count)
}

$getTickets = New-AgnoStep -Name 'get-tickets' -ScriptBlock {
    $user = Get-AgnoState -Key user_info
    $tickets = ($using:backend).Tickets[$user.id]
    $open = @($tickets | Where-Object Open)
    Set-AgnoState -Key tickets -Value $tickets
    Set-AgnoState -Key findings -Value (@(Get-AgnoState findings) + "tickets: $($tickets.Count) found, $($open.Count) open")
    Set-AgnoState -Key open_items -Value ((Get-AgnoState open_items) + $open.Count)
}

$fetch = New-AgnoParallel -Name 'fetch' -Step $getOrders, $getInvoices, $getTickets `
    -Reducer @{ findings = 'Append'; open_items = 'Sum' }

# The report step's output becomes the session's Output.
$report = New-AgnoStep -Name 'report' -ScriptBlock {
    $user = Get-AgnoState -Key user_info
    $orders = Get-AgnoState -Key orders
    $invoices = Get-AgnoState -Key invoices
    $tickets = Get-AgnoState -Key tickets
    $openItems = Get-AgnoState -Key open_items
    [pscustomobject]@{
        User           = "$($user.name) <$($user.email)>"
        Tier           = $user.tier
        Orders         = $orders.Count
        OrderTotal     = ($orders | Measure-Object -Property Total -Sum).Sum
        UnpaidInvoices = @($invoices | Where-Object { -not $_.Paid }).Id -join ', '
        OpenTickets    = @($tickets | Where-Object Open).Id -join ', '
        OpenItems      = $openItems
        Findings       = (Get-AgnoState -Key findings) -join '; '
        Summary        = "Report for $($user.name) ($($user.id)): $($orders.Count) orders, $openItems open items"
    }
}

$workflow = New-AgnoWorkflow -Name 'account-review' -Step $getUser, $fetch, $report

# -PassThru adds the run record after the steps' own output. -Resume continues this workflow's
# last run if it did not finish (its completed steps are skipped); otherwise it runs afresh.
$run = Invoke-AgnoWorkflow -Workflow $workflow -Session $session -Resume -PassThru |
    Where-Object { $_ -is [Agno.Core.RunRecord] }

Write-Host "`n== Report (the session's Output) ==" -ForegroundColor Cyan
$session.Output | Format-List | Out-Host

Write-Host '== Final state ==' -ForegroundColor Cyan
# Type next to Key: the values come back as the types stored (Int32, OrderedDictionary...).
Get-AgnoState -Session $session |
    Format-Table Key, @{ Label = 'Type'; Expression = { $_.Value.GetType().Name } }, Value -Wrap | Out-Host

Write-Host '== Run record ==' -ForegroundColor Cyan
$run | Out-Host

Write-Host '== Step records ==' -ForegroundColor Cyan
$run.Steps | Format-Table -AutoSize -Wrap | Out-Host

if ($MermaidPath) {
    ConvertTo-AgnoMermaid -Workflow $workflow | Set-Content -LiteralPath (Join-Path $MermaidPath 'account-review.flowchart.mmd') -NoNewline
    ConvertTo-AgnoMermaid -Run $run | Set-Content -LiteralPath (Join-Path $MermaidPath 'account-review.gantt.mmd') -NoNewline
    Write-Host "Pictures of the workflow and the run written to $MermaidPath." -ForegroundColor Cyan
}

Write-Host ("This session has been reviewed {0} time(s); its state is in {1}." -f (Get-AgnoState -Key reviews), $Store) -ForegroundColor Cyan
$session.Output.Summary
if ($run.Status -ne 'Completed') { exit 1 }
exit 0
