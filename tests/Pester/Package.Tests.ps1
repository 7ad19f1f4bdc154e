# The module as users get it: the manifest build.ps1 lays out in out/Agno, and the package that
# 'build.ps1 package' writes, installed with PSResourceGet as the README's "Install" section says
# and imported by name in a fresh pwsh.

BeforeAll {
    $script:Root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $script:Manifest = Join-Path $Root 'out/Agno/Agno.psd1'
    if (-not (Test-Path $Manifest)) { throw "The module is not built ($Manifest is missing): run build.ps1 package first." }
    $script:Version = [version] (Import-PowerShellDataFile (Join-Path $Root 'Agno.psd1')).ModuleVersion
}

Describe 'The laid-out manifest (out/Agno/Agno.psd1)' {
    BeforeAll {
        $script:Info = Test-ModuleManifest $Manifest -ErrorVariable script:ManifestErrors -ErrorAction SilentlyContinue
        $script:Data = Import-PowerShellDataFile $Manifest
    }

    It 'passes Test-ModuleManifest' {
        $ManifestErrors | Should -BeNullOrEmpty
        $Info.Name | Should -Be 'Agno'
    }

    It 'claims PowerShell 7.4 and later, Core edition only: what is tested, and no more' {
        $Data.PowerShellVersion | Should -Be '7.4'
        $Data.CompatiblePSEditions | Should -Be @('Core')
    }

    It 'carries the version of Agno.psd1, which every assembly of the module carries too' {
        $Info.Version | Should -Be $Version
        foreach ($dll in Get-ChildItem (Split-Path $Manifest) -Filter 'Agno.*.dll') {
            [Reflection.AssemblyName]::GetAssemblyName($dll.FullName).Version.ToString(3) | Should -Be $Version.ToString(3) -Because "$($dll.Name) takes its version from Agno.psd1"
        }
    }

    It 'has a project, a licence that the module carries, and the platform tags of a gallery listing' {
        $psData = $Data.PrivateData.PSData
        [uri] $psData.ProjectUri | Should -Not -BeNullOrEmpty
        ([uri] $psData.ProjectUri).IsAbsoluteUri | Should -BeTrue
        $psData.LicenseUri | Should -BeLike "$($psData.ProjectUri)/*"
        Join-Path (Split-Path $Manifest) 'LICENSE' | Should -FileContentMatch 'MIT License'
        foreach ($tag in 'PSEdition_Core', 'Linux', 'Windows', 'MacOS') { $psData.Tags | Should -Contain $tag }
    }

    It 'has as release notes the section of CHANGELOG.md for its version' {
        $changelog = (Get-Content (Join-Path $Root 'CHANGELOG.md') -Raw) -replace "`r`n", "`n"
        $section = [regex]::Match($changelog, "(?ms)^## \[?$([regex]::Escape("$Version"))\]?[^\n]*\n(.*?)(?=^## |\z)")
        $section.Success | Should -BeTrue -Because "CHANGELOG.md needs a section '## $Version'"
        $Data.PrivateData.PSData.ReleaseNotes | Should -BeExactly $section.Groups[1].Value.Trim()
    }
}

# PSResourceGet keeps repository registrations and CurrentUser installs under the user's home
# (Linux, macOS), so the install runs with a temporary HOME: nothing is registered or installed
# in the real profile. Windows keeps them in known folders that a test cannot redirect.
Describe 'The package (build.ps1 package), installed with Install-PSResource' -Skip:$IsWindows {
    BeforeAll {
        $nupkg = Join-Path $Root "out/Agno.$Version.nupkg"
        if (-not (Test-Path $nupkg)) { throw "The package is not built ($nupkg is missing): run build.ps1 package first." }
        $script:TempHome = Join-Path ([IO.Path]::GetTempPath()) ('agno-install-' + [guid]::NewGuid())
        $null = New-Item -ItemType Directory -Path $TempHome

        # Runs a script in a fresh pwsh whose home is $TempHome, with PowerShell's default module
        # path for that home (no inherited PSModulePath, no XDG overrides); returns its JSON output.
        function Invoke-FreshPwsh([string] $Script, [string] $WorkingDirectory = $TempHome) {
            $exe = (Get-Process -Id $PID).Path
            $start = [Diagnostics.ProcessStartInfo]::new($exe)
            # Under 'dotnet pwsh' the process is dotnet itself, which needs pwsh.dll first.
            if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { $start.ArgumentList.Add((Join-Path $PSHOME 'pwsh.dll')) }
            foreach ($arg in '-NoProfile', '-NonInteractive', '-Command', $Script) { $start.ArgumentList.Add($arg) }
            $start.WorkingDirectory = $WorkingDirectory
            $start.RedirectStandardOutput = $true
            $start.RedirectStandardError = $true
            $start.Environment['HOME'] = $TempHome
            foreach ($name in 'PSModulePath', 'XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME') { $null = $start.Environment.Remove($name) }
            $process = [Diagnostics.Process]::Start($start)
            try {
                $stdout = $process.StandardOutput.ReadToEndAsync()
                $stderr = $process.StandardError.ReadToEndAsync()
                if (-not $process.WaitForExit(120000)) { $process.Kill($true); throw "pwsh did not finish within 120 s: $Script" }
                $process.ExitCode | Should -Be 0 -Because "pwsh ran:`n$Script`nand wrote:`n$($stdout.Result)`n$($stderr.Result)"
                try { $stdout.Result | ConvertFrom-Json }
                catch { throw "pwsh wrote no JSON but:`n$($stdout.Result)`nwhen it ran:`n$Script" }
            }
            finally { $process.Dispose() }
        }

        # The README's local-feed commands, run as they are written there (from the repository
        # root, where ./out is the feed that build.ps1 package fills).
        $readme = Get-Content (Join-Path $Root 'README.md') -Raw
        $commands = [regex]::Matches($readme, '(?ms)^```powershell\r?\n(.*?)^```') | ForEach-Object { $_.Groups[1].Value } |
            Where-Object { $_ -match 'Register-PSResourceRepository' } | Select-Object -First 1
        if (-not $commands) { throw 'README.md has no powershell block with Register-PSResourceRepository (its "Install" section).' }
        $script:Install = Invoke-FreshPwsh -WorkingDirectory $Root -Script @"
`$ErrorActionPreference = 'Stop'
$commands
@{
    Installed    = @(Get-InstalledPSResource Agno | ForEach-Object { "`$(`$_.Version)" })
    Imported     = (Get-Module Agno).ModuleBase
    Repositories = @(Get-PSResourceRepository | ForEach-Object Name)
} | ConvertTo-Json
"@
    }

    AfterAll {
        if ($TempHome) { Remove-Item $TempHome -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'installs this version into the user''s modules, and leaves no test repository registered' {
        $Install.Installed | Should -Be @("$Version")
        $Install.Imported | Should -Be (Join-Path $TempHome ".local/share/powershell/Modules/Agno/$Version")
        $Install.Repositories | Should -Not -Contain 'AgnoLocal'
    }

    It 'is imported by name in a new pwsh, and runs two parallel steps and their merge on a SQLite store' {
        $run = Invoke-FreshPwsh @'
$ErrorActionPreference = 'Stop'
Import-Module Agno
$session = New-AgnoSession -UserId ops -Store (Join-Path $HOME 'agno.db')
$fanout = New-AgnoParallel fan-out -Reducer @{ log = 'Append' } -Step @(
    New-AgnoStep orders   { Set-AgnoState -Key orders -Value 3;   Set-AgnoState -Key log -Value @('orders') }
    New-AgnoStep invoices { Set-AgnoState -Key invoices -Value 2; Set-AgnoState -Key log -Value @('invoices') }
)
$report = New-AgnoStep report { Set-AgnoState -Key total -Value ((Get-AgnoState orders) + (Get-AgnoState invoices)) }
Invoke-AgnoWorkflow (New-AgnoWorkflow nightly $fanout, $report)
@{
    ModuleBase = (Get-Module Agno).ModuleBase
    Log        = (Get-AgnoState log) -join ','
    Total      = Get-AgnoState total
    Stored     = @(Get-AgnoSession -Store (Join-Path $HOME 'agno.db')).Count
} | ConvertTo-Json
'@
        $run.ModuleBase | Should -Be (Join-Path $TempHome ".local/share/powershell/Modules/Agno/$Version")
        $run.Log | Should -Be 'orders,invoices' -Because 'branches merge in branch order'
        $run.Total | Should -Be 5
        $run.Stored | Should -Be 1
    }
}
