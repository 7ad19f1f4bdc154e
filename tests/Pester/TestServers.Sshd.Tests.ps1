#Requires -Version 7.0
# The private sshd servers that the remoting tests run against (tests/Servers/Sshd.psm1): two hosts
# on 127.0.0.1 that serve PowerShell remoting with this repo's pwsh, by key only, and leave no
# process behind. When no sshd can be had (not installed, and not root on Debian to install it),
# every test here reports itself skipped with the reason; none passes without a server.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../Servers/Sshd.psm1') -Force
    $script:Sshd = Start-AgnoTestSshd -ErrorAction SilentlyContinue -ErrorVariable unavailable
    $script:SkipReason = "$unavailable"
    if (-not $script:Sshd) { Write-Warning "Remote tests skipped: $script:SkipReason" }

    function New-TestSession([psobject] $Sshd, [int] $Port, [string] $KeyFilePath = $Sshd.KeyFilePath) {
        New-PSSession -HostName $Sshd.HostName -Port $Port -UserName $Sshd.UserName -KeyFilePath $KeyFilePath -Options $Sshd.Options -ErrorAction Stop
    }
}

AfterAll {
    Stop-AgnoTestSshd $script:Sshd
}

Describe 'Test sshd servers' {
    It 'start two servers on distinct ports of 127.0.0.1' {
        if (-not $Sshd) { Set-ItResult -Skipped -Because $SkipReason; return }
        $Sshd.HostName | Should -Be '127.0.0.1'
        $Sshd.Ports | Should -HaveCount 2
        $Sshd.Ports[0] | Should -Not -Be $Sshd.Ports[1]
        $Sshd.ProcessIds | ForEach-Object { Get-Process -Id $_ -ErrorAction Stop } | Should -HaveCount 2
    }

    It 'server <_> runs a command over New-PSSession with the key, on this repo''s pwsh' -ForEach 0, 1 {
        if (-not $Sshd) { Set-ItResult -Skipped -Because $SkipReason; return }
        $session = New-TestSession $Sshd $Sshd.Ports[$_]
        try {
            $remote = Invoke-Command -Session $session { [pscustomobject]@{ Version = $PSVersionTable.PSVersion; Home = $PSHOME; Id = $PID } }
            "$($remote.Version)" | Should -Be "$($PSVersionTable.PSVersion)"
            $remote.Home | Should -Be $PSHOME
            $remote.Id | Should -Not -Be $PID
            Get-AgnoTestSshdProcess $Sshd -Kind pwsh | Where-Object Id -EQ $remote.Id | Should -HaveCount 1
        }
        finally {
            Remove-PSSession $session
        }
    }

    It 'closing a session ends its remote pwsh and its ssh client' {
        if (-not $Sshd) { Set-ItResult -Skipped -Because $SkipReason; return }
        $session = New-TestSession $Sshd $Sshd.Ports[1]
        $remoteId = Invoke-Command -Session $session { $PID }
        Get-AgnoTestSshdProcess $Sshd -Kind ssh | Should -Not -BeNullOrEmpty
        Remove-PSSession $session
        Wait-AgnoTestSshdProcessExit $Sshd -Kind pwsh, ssh | Should -BeNullOrEmpty
        Get-AgnoTestSshdProcess $Sshd | Where-Object Id -EQ $remoteId | Should -BeNullOrEmpty
    }

    It 'refuses a key it does not authorize, and offers no password authentication' {
        if (-not $Sshd) { Set-ItResult -Skipped -Because $SkipReason; return }
        { New-TestSession $Sshd $Sshd.Port -KeyFilePath $Sshd.RefusedKeyFilePath } |
            Should -Throw -ErrorId 'PSSessionOpenFailed'
        $answer = & ssh -F $Sshd.SshConfigPath -p $Sshd.Port -o PreferredAuthentications=password,keyboard-interactive $Sshd.HostName true 2>&1
        $LASTEXITCODE | Should -Be 255
        "$answer" | Should -Match 'Permission denied \(publickey\)'
    }

    It 'stop leaves no sshd, remote pwsh or ssh client running, even with sessions still open' {
        if (-not $Sshd) { Set-ItResult -Skipped -Because $SkipReason; return }
        $own = Start-AgnoTestSshd
        $sessions = @()
        try {
            $sessions = foreach ($port in $own.Ports) { New-TestSession $own $port }
            @(Get-AgnoTestSshdProcess $own -Kind pwsh).Count | Should -Be 2
            @(Get-AgnoTestSshdProcess $own -Kind sshd).Count | Should -BeGreaterThan 2   # listeners and per-connection
        }
        finally {
            Stop-AgnoTestSshd $own
        }
        Get-AgnoTestSshdProcess $own -Kind sshd, pwsh | Should -BeNullOrEmpty
        $own.ProcessIds | ForEach-Object { Get-Process -Id $_ -ErrorAction Ignore } | Should -BeNullOrEmpty
        Test-Path -LiteralPath $own.Folder | Should -BeFalse
        Remove-PSSession $sessions
        Wait-AgnoTestSshdProcessExit $own -Kind ssh | Should -BeNullOrEmpty
    }
}
