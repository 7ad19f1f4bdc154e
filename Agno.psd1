@{
    RootModule           = 'Agno.PowerShell.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '6f0b5f3e-3c7a-4d0e-9a51-2b1f1c0a8d47'
    Author               = 'Agno for PowerShell contributors'
    CompanyName          = 'Agno for PowerShell'
    Copyright            = '(c) Agno for PowerShell contributors. MIT License.'
    Description          = 'A thread-safe session state shared by workflow steps; steps run as scriptblocks in isolated runspaces, in sequence or in parallel, and parallel branches merge back deterministically, in branch order.'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Core', 'Desktop')
    RequiredAssemblies   = @('Agno.Core.dll')
    FormatsToProcess     = @('Agno.Format.ps1xml')
    CmdletsToExport      = @(
        'New-AgnoSession'
        'Get-AgnoSession'
        'Remove-AgnoSession'
        'Get-AgnoRun'
        'Optimize-AgnoStore'
        'Get-AgnoState'
        'Set-AgnoState'
        'Remove-AgnoState'
        'New-AgnoStep'
        'New-AgnoParallel'
        'New-AgnoWorkflow'
        'Invoke-AgnoWorkflow'
        'Invoke-AgnoParallel'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('Workflow', 'Parallel', 'State', 'Runspace', 'Automation')
            ProjectUri = ''
        }
    }
}
