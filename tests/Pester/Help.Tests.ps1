BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'AgnoTestSupport.psm1') -Force
    Import-AgnoForTest
}

BeforeDiscovery {
    # Every cmdlet the manifest exports needs help: the list is read from Agno.psd1, not kept here.
    $cmdlets = @((Import-PowerShellDataFile (Join-Path $PSScriptRoot '../../Agno.psd1')).CmdletsToExport) |
        ForEach-Object { @{ Name = $_ } }
}

Describe 'The cmdlets whose help is tested' {
    It 'are the CmdletsToExport of Agno.psd1, which are exactly the cmdlets the module exports' {
        $listed = @((Import-PowerShellDataFile (Join-Path $PSScriptRoot '../../Agno.psd1')).CmdletsToExport)
        $listed | Should -Not -BeNullOrEmpty
        $exported = @((Get-Module Agno).ExportedCmdlets.Keys)
        Compare-Object $listed $exported | Should -BeNullOrEmpty -Because 'a cmdlet the module exports but the manifest does not list would escape these tests'
    }
}

Describe 'Get-Help <Name>' -ForEach $cmdlets {
    BeforeAll {
        $help = Get-Help -Name $Name -Full
        $command = Get-Command -Name $Name -CommandType Cmdlet
        # Without a help file Get-Help makes up a synopsis from the syntax; a written one never holds it.
        $madeUp = "$Name [", '<CommonParameters>'
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters
        $declared = @($command.Parameters.Keys | Where-Object { $_ -notin $common })
        $documented = @($help.parameters.parameter)
    }

    It 'has a written synopsis' {
        $synopsis = "$($help.Synopsis)".Trim()
        $synopsis | Should -Not -BeNullOrEmpty
        foreach ($text in $madeUp) { $synopsis.Contains($text) | Should -BeFalse -Because "'$synopsis' is the syntax Get-Help shows when there is no help" }
    }

    It 'has a description' {
        ($help.description | Out-String).Trim() | Should -Not -BeNullOrEmpty
    }

    It 'has at least two examples, each with code and remarks' {
        $examples = @($help.examples.example)
        $examples.Count | Should -BeGreaterOrEqual 2
        foreach ($example in $examples) {
            "$($example.code)".Trim() | Should -Not -BeNullOrEmpty -Because "every example of $Name shows code"
            ($example.remarks | Out-String).Trim() | Should -Not -BeNullOrEmpty -Because "every example of $Name explains its code"
        }
    }

    It 'describes every parameter the cmdlet declares (-WhatIf and -Confirm included)' {
        foreach ($parameter in $declared) {
            $entry = $documented | Where-Object { $_.name -eq $parameter }
            $entry | Should -Not -BeNullOrEmpty -Because "-$parameter of $Name needs help"
            ($entry.description | Out-String).Trim() | Should -Not -BeNullOrEmpty -Because "-$parameter of $Name needs a description"
        }
    }

    It 'documents no parameter the cmdlet does not declare' {
        foreach ($entry in $documented) {
            $entry.name | Should -BeIn $declared -Because "the help of $Name should not describe a parameter it no longer has"
        }
    }
}

Describe 'Get-Help about_Agno' {
    It 'explains the merge strategies and the reducers' {
        $text = Get-Help -Name about_Agno | Out-String
        $text | Should -Match 'LastWriteWins'
        $text | Should -Match 'Append'
    }
}

Describe 'Get-Help about_Agno covers the product''s concepts' {
    It 'explains sessions, steps, isolation, $using:, branch order and every merge strategy' {
        $text = Get-Help -Name about_Agno | Out-String
        foreach ($term in 'session', 'step', '-Isolation', 'Inline', 'branch order', 'FirstWriteWins', 'Fail', 'Sum', '\$using:') {
            $text | Should -Match $term -Because "about_Agno explains $term"
        }
    }

    It 'explains durable sessions: the store, resuming, the promise, security and the store''s error ids' {
        $text = Get-Help -Name about_Agno | Out-String
        foreach ($term in 'DURABLE SESSIONS', 'AGNO_STORE', '-Resume', '0600', 'typed JSON', 'Get-AgnoSession', 'Remove-AgnoSession',
            'AgnoStoreNotFound', 'AgnoStoreNotSqlite', 'AgnoStoreSchemaNewer', 'AgnoStoreValueUnreadable', 'AgnoStoreBusy',
            'AgnoStoreWriteFailed', 'AgnoSessionUserMismatch', 'AgnoSessionNotFound') {
            $text | Should -Match $term -Because "about_Agno explains $term"
        }
    }

    It 'documents that objects that cannot be copied faithfully are copied as remoting copies them (PSSerializer)' {
        $text = (Get-Help -Name about_Agno | Out-String) + (Get-Help -Name Set-AgnoState -Full | Out-String)
        $text | Should -Match 'PSSerializer|remoting'
        $text | Should -Match 'Deserialized'
    }
}
