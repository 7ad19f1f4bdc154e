@{
    RootModule           = 'Agno.PowerShell.dll'
    # The one place the version lives: Directory.Build.props gives it to the assemblies, and
    # CHANGELOG.md needs a section for it (build.ps1 puts that section in ReleaseNotes).
    ModuleVersion        = '0.1.0'
    GUID                 = '6f0b5f3e-3c7a-4d0e-9a51-2b1f1c0a8d47'
    Author               = 'Agno for PowerShell contributors'
    CompanyName          = 'Agno for PowerShell'
    Copyright            = '(c) Agno for PowerShell contributors. MIT License.'
    Description          = 'A thread-safe session state shared by workflow steps; steps run as scriptblocks in isolated runspaces, in sequence or in parallel, and parallel branches merge back deterministically, in branch order.'
    # What is tested: the dependencies are pinned to PowerShell 7.4's and the SQLite native-library
    # resolver needs PowerShell 7; Windows PowerShell 5.1 lacks assemblies the layout leaves out.
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
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
        'New-AgnoCondition'
        'New-AgnoLoop'
        'New-AgnoRouter'
        'Stop-AgnoWorkflow'
        'ConvertTo-AgnoMermaid'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('Workflow', 'Parallel', 'State', 'Runspace', 'Automation', 'PSEdition_Core', 'Linux', 'Windows', 'MacOS')
            ProjectUri   = 'https://github.com/agno-powershell/Agno'
            LicenseUri   = 'https://github.com/agno-powershell/Agno/blob/main/LICENSE'
            # build.ps1 writes CHANGELOG.md's section for ModuleVersion here in out/Agno/Agno.psd1.
            ReleaseNotes = ''
        }
    }
}
