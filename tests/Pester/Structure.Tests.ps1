#Requires -Version 7.0
# The module's shape (issue 14): shared parameters stay in step (issue 12's remote ones too), each cmdlet says what its own
# -TimeoutSeconds means, and removing the module releases what it holds.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'AgnoTestSupport.psm1') -Force
    Import-AgnoForTest

    # What binding and help see of a parameter: its type, whether mandatory, its validation.
    function Get-ParameterShape([string] $Command, [string] $Name) {
        $p = (Get-Command $Command).Parameters[$Name]
        [pscustomobject]@{
            Type       = $p.ParameterType.FullName
            Mandatory  = @($p.ParameterSets.Values.IsMandatory) -contains $true
            Validation = ($p.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateArgumentsAttribute] } | ForEach-Object {
                    $_.GetType().Name + ($(if ($_ -is [System.Management.Automation.ValidateRangeAttribute]) { "($($_.MinRange)..$($_.MaxRange))" }))
                }) -join ','
        } | ConvertTo-Json -Compress
    }
}

Describe 'Parameters that cmdlets share stay in step' {
    It 'gives New-AgnoParallel and Invoke-AgnoParallel the same -<Name>' -ForEach @(
        @{ Name = 'ThrottleLimit' }, @{ Name = 'MergeStrategy' }, @{ Name = 'Reducer' }, @{ Name = 'ErrorPolicy' }
    ) {
        (Get-Command New-AgnoParallel).Parameters.Keys | Should -Contain $Name
        Get-ParameterShape Invoke-AgnoParallel $Name | Should -Be (Get-ParameterShape New-AgnoParallel $Name)
        (Get-Help New-AgnoParallel -Parameter $Name).Description.Text | Should -Not -BeNullOrEmpty
        (Get-Help Invoke-AgnoParallel -Parameter $Name).Description.Text | Should -Be (Get-Help New-AgnoParallel -Parameter $Name).Description.Text
    }

    It 'gives New-AgnoStep and Invoke-AgnoParallel the same -<Name>' -ForEach @(
        @{ Name = 'RetryCount' }, @{ Name = 'RetryDelaySeconds' }, @{ Name = 'RetryBackoff' }, @{ Name = 'RetryOn' }
    ) {
        Get-ParameterShape Invoke-AgnoParallel $Name | Should -Be (Get-ParameterShape New-AgnoStep $Name)
        (Get-Help New-AgnoStep -Parameter $Name).Description.Text | Should -Not -BeNullOrEmpty
        (Get-Help Invoke-AgnoParallel -Parameter $Name).Description.Text | Should -Be (Get-Help New-AgnoStep -Parameter $Name).Description.Text
    }

    It 'gives New-AgnoStep and Invoke-AgnoParallel the same -<Name> (where steps run)' -ForEach @(
        @{ Name = 'HostName' }, @{ Name = 'UserName' }, @{ Name = 'KeyFilePath' }, @{ Name = 'Port' }, @{ Name = 'Subsystem' }
        @{ Name = 'Options' }, @{ Name = 'PSSession' }, @{ Name = 'IdleTimeoutSeconds' }
    ) {
        Get-ParameterShape Invoke-AgnoParallel $Name | Should -Be (Get-ParameterShape New-AgnoStep $Name)
        (Get-Command Invoke-AgnoParallel).Parameters[$Name].Aliases | Should -Be (Get-Command New-AgnoStep).Parameters[$Name].Aliases
        (Get-Help New-AgnoStep -Parameter $Name).Description.Text | Should -Not -BeNullOrEmpty
        (Get-Help Invoke-AgnoParallel -Parameter $Name).Description.Text | Should -Be (Get-Help New-AgnoStep -Parameter $Name).Description.Text
    }

    It 'gives Invoke-AgnoParallel''s scriptblock branches New-AgnoStep''s -<Name>' -ForEach @(
        @{ Name = 'ArgumentList' }, @{ Name = 'Function' }, @{ Name = 'Module' }, @{ Name = 'Variable' }
    ) {
        Get-ParameterShape Invoke-AgnoParallel $Name | Should -Be (Get-ParameterShape New-AgnoStep $Name)
    }

    It 'has each cmdlet say what its own -TimeoutSeconds limits' {
        $texts = foreach ($command in 'New-AgnoStep', 'New-AgnoParallel', 'Invoke-AgnoParallel', 'Invoke-AgnoWorkflow') {
            $text = ((Get-Help $command -Parameter TimeoutSeconds).Description.Text -join ' ')
            $text | Should -Not -BeNullOrEmpty -Because $command
            $text
        }
        @($texts | Select-Object -Unique).Count | Should -Be 4
    }
}

Describe 'Remove-Module Agno' {
    It 'closes the pooled runspaces and the open stores' {
        $script = @'
param($ModulePath, $Store)
Import-Module $ModulePath
$null = New-AgnoSession -SessionId s -Store $Store
Invoke-AgnoParallel { 1 }, { 2 } | Out-Null
function Get-OpenStoreFiles { @(Get-ChildItem /proc/$PID/fd -ErrorAction SilentlyContinue | Where-Object { "$($_.LinkTarget)" -like "$Store*" }).Count }
$before = @(Get-Runspace | Where-Object Name -EQ 'Agno').Count
$filesBefore = Get-OpenStoreFiles
Remove-Module Agno
$after = @(Get-Runspace | Where-Object Name -EQ 'Agno' | Where-Object { $_.RunspaceStateInfo.State -ne 'Closed' }).Count
"$before $after $filesBefore $(Get-OpenStoreFiles)"
'@
        $store = Join-Path (New-TestDirectory) 'held.db'
        $out = Invoke-ChildPwsh $script -ArgumentList $store
        $counts = [int[]] (@($out)[-1] -split " ")
        $counts[0] | Should -BeGreaterThan 0 -Because 'the steps ran in pooled runspaces'
        $counts[1] | Should -Be 0 -Because 'no pooled runspace is left open'
        if ($IsLinux) {
            $counts[2] | Should -BeGreaterThan 0 -Because 'the session held its store open'
            $counts[3] | Should -Be 0 -Because 'the store was closed'
        }
    }
}
