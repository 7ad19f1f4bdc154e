#Requires -Version 7.0
# The documentation is a test (issue 9, item 23): every PowerShell block of README.md (but those of its
# Install section, which Package.Tests.ps1 runs) and every example of about_Agno runs here, each in a fresh pwsh as a user would paste it, and what a line says it prints
# is what it prints. The convention, in both: a line ending in  # -> text  must print exactly text (its
# output items, as strings, joined with ', '). An example holding Describe is a Pester test and is run
# with Invoke-Pester. Blocks run in a folder of their own, where ./out/Agno is the built module.
# A README block that names an example server (the PostgreSQL database postgresql://agno@db1:5432/agno,
# the SSH hosts web1 and web2) runs on its own against the test run's server instead, the example
# replaced by how to reach that server (a new schema, the password in PGPASSWORD as the block says;
# the test sshd's two ports, its user, key and options), and is skipped, loudly, without one.

BeforeDiscovery {
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path

    # README.md: each ```powershell block, in order; the blocks of one document run in one process,
    # as a user follows the README in one shell.
    # The "Install" section's blocks install the module: Package.Tests.ps1 runs its local-feed block
    # (the other one needs a gallery that has Agno), so they are left out here.
    $readme = Get-Content -LiteralPath (Join-Path $root 'README.md') -Raw
    $sections = [regex]::Split($readme, '(?m)^(?=## )') | Where-Object { $_ -notmatch '^## Install\b' }
    $readmeBlocks = [regex]::Matches(($sections -join ''), '(?ms)^```powershell\r?\n(.*?)^```') | ForEach-Object { $_.Groups[1].Value }
    $exampleServers = [ordered]@{
        PostgreSQL = 'postgresql://agno@db1:5432/agno'
        SSH        = '-HostName web1, web2 -UserName ops -KeyFilePath ~/.ssh/id_ed25519'
    }
    $serverCases = @(foreach ($block in $readmeBlocks) {
            foreach ($server in $exampleServers.Keys) {
                if ($block.Contains($exampleServers[$server])) {
                    @{ Block = $block; Server = $server; Example = $exampleServers[$server]; FirstLine = ($block -split '\r?\n')[0] }
                }
            }
        })
    $readmeBlocks = @($readmeBlocks | Where-Object { $_ -notin $serverCases.Block })

    # about_Agno: each "Example N: title" under EXAMPLES, its code the lines indented eight spaces.
    $about = Get-Content -LiteralPath (Join-Path $root 'docs/help/about_Agno.help.txt')
    $examples = [System.Collections.Generic.List[object]]::new()
    $inExamples = $false; $current = $null
    foreach ($line in $about) {
        if ($line -match '^EXAMPLES') { $inExamples = $true; continue }
        if ($inExamples -and $line -match '^\S') { break }
        if (-not $inExamples) { continue }
        if ($line -match '^    (Example \d+: .*)$') { $current = @{ Name = $Matches[1]; Lines = [System.Collections.Generic.List[string]]::new() }; $examples.Add($current); continue }
        if ($current -and ($line -match '^        ' -or ($line -eq '' -and $current.Lines.Count -gt 0 -and -not $current.Done))) {
            if ($line -match '^        ') { $current.Lines.Add($line.Substring(8)) } else { $current.Lines.Add('') }
        }
        elseif ($current -and $line -match '^    \S') { $current.Done = $true }
    }
    $aboutCases = foreach ($e in $examples) { @{ Name = $e.Name; Code = ($e.Lines -join "`n").Trim() } }
    $readmeCases = @(@{ Blocks = $readmeBlocks; Count = $readmeBlocks.Count })
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'AgnoTestSupport.psm1') -Force
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path

    # A folder where ./out/Agno is the built module, and the module can be imported by name.
    function New-DocumentationFolder {
        $dir = New-TestDirectory
        $null = New-Item -ItemType Directory -Path (Join-Path $dir 'out')
        $null = New-Item -ItemType SymbolicLink -Path (Join-Path $dir 'out/Agno') -Target (Join-Path $root 'out/Agno')
        $dir
    }

    # Rewrites each line ending in '# -> expected' into a check of what that line prints.
    function ConvertTo-CheckedScript([string] $Code) {
        $lines = foreach ($line in $Code -split '\r?\n') {
            if ($line -match '^(?<code>.*?)\s+#\s*->\s*(?<expected>.*)$' -and $Matches.code.Trim()) {
                $expected = $Matches.expected.Trim().Replace("'", "''")
                "`$__printed = @($($Matches.code.Trim())) | ForEach-Object { `"`$_`" }; if ((`$__printed -join ', ') -ne '$expected') { throw ""Line ``$($Matches.code.Trim().Replace('"', '`"'))`` printed '`$(`$__printed -join ', ')', not '$expected'."" }"
            }
            else { $line }
        }
        $lines -join "`n"
    }

    # Runs code in a fresh pwsh in $Dir, with the module on PSModulePath (and $Environment's
    # variables); returns output and errors.
    function Invoke-Documented([string] $Code, [string] $Dir, [hashtable] $Environment = @{}) {
        $file = Join-Path $Dir ('block-' + [guid]::NewGuid().ToString('n') + '.ps1')
        Set-Content -LiteralPath $file -Value $Code -Encoding utf8
        $pwsh = Get-PwshCommand
        $psi = [Diagnostics.ProcessStartInfo]::new($pwsh.Path)
        foreach ($a in @($pwsh.Prefix) + @('-NoProfile', '-NonInteractive', '-File', $file)) { $psi.ArgumentList.Add($a) }
        $psi.WorkingDirectory = $Dir
        $psi.Environment['PSModulePath'] = (Join-Path $Dir 'out') + [IO.Path]::PathSeparator + $env:PSModulePath
        foreach ($name in $Environment.Keys) { $psi.Environment[$name] = $Environment[$name] }
        $psi.UseShellExecute = $false
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $process = [Diagnostics.Process]::Start($psi)
        $stdout = $process.StandardOutput.ReadToEndAsync()
        $stderr = $process.StandardError.ReadToEndAsync()
        if (-not $process.WaitForExit(120000)) { $process.Kill(); throw 'A documented block ran for more than two minutes.' }
        $process.WaitForExit()
        # Plain text, as a user reads it (and as a result file can hold it): no color codes.
        $plain = { param($text) $text -replace '\x1B\[[0-9;]*[A-Za-z]' }
        [pscustomobject]@{ ExitCode = $process.ExitCode; Output = & $plain $stdout.Result; Errors = & $plain $stderr.Result }
    }
}

Describe 'README.md' {
    It 'runs its <Count> PowerShell blocks in one shell, each printing what it says it prints' -ForEach $readmeCases {
        $Count | Should -BeGreaterThan 0
        $dir = New-DocumentationFolder
        $script = ($Blocks | ForEach-Object { ConvertTo-CheckedScript $_ }) -join "`n"
        $result = Invoke-Documented $script $dir
        $result.Errors | Should -BeNullOrEmpty -Because $result.Output
        $result.ExitCode | Should -Be 0 -Because $result.Output
    }

    It 'runs its <Server> block "<FirstLine>" against the test server' -ForEach $serverCases {
        $environment = @{}
        if ($Server -eq 'PostgreSQL') {
            if ($noServer = Get-TestStoreSkipReason 'PostgreSQL') { Set-ItResult -Skipped -Because $noServer; return }
            $reach = ConvertTo-TestStoreUri (New-TestStore 'PostgreSQL') -NoPassword
            $environment['PGPASSWORD'] = (Get-AgnoTestPostgres).Password
        }
        else {
            $sshd = if ($env:AGNO_TEST_SERVERS) { ($env:AGNO_TEST_SERVERS | ConvertFrom-Json).Sshd }
            if (-not $sshd) { Set-ItResult -Skipped -Because 'no test sshd: build.ps1 test starts one (see its output for why it could not)'; return }
            $quote = { param($text) "'" + "$text".Replace("'", "''") + "'" }
            $hosts = ($sshd.Ports | ForEach-Object { & $quote "$($sshd.HostName):$_" }) -join ', '
            $options = ($sshd.Options.PSObject.Properties | ForEach-Object { "$(& $quote $_.Name) = $(& $quote $_.Value)" }) -join '; '
            $reach = "-HostName $hosts -UserName $(& $quote $sshd.UserName) -KeyFilePath $(& $quote $sshd.KeyFilePath) -Options @{ $options }"
        }
        $result = Invoke-Documented (ConvertTo-CheckedScript $Block.Replace($Example, $reach)) (New-DocumentationFolder) $environment
        $result.Errors | Should -BeNullOrEmpty -Because $result.Output
        $result.ExitCode | Should -Be 0 -Because $result.Output
    }
}

Describe 'about_Agno examples' {
    It '<Name> runs and prints what it says it prints' -ForEach $aboutCases {
        $dir = New-DocumentationFolder
        if ($Code -match '(?m)^\s*Describe ') {
            $testFile = Join-Path $dir 'Example.Tests.ps1'
            Set-Content -LiteralPath $testFile -Value $Code -Encoding utf8
            $pester = (Get-Module Pester).Path
            $result = Invoke-Documented "Import-Module '$pester'; `$r = Invoke-Pester -Path '$testFile' -PassThru -Output None; if (`$r.FailedCount -gt 0 -or `$r.PassedCount -eq 0) { throw ""`$(`$r.PassedCount) passed, `$(`$r.FailedCount) failed"" }" $dir
        }
        else {
            $result = Invoke-Documented (ConvertTo-CheckedScript "Import-Module Agno`n$Code") $dir
        }
        $result.Errors | Should -BeNullOrEmpty -Because $result.Output
        $result.ExitCode | Should -Be 0 -Because $result.Output
    }
}
