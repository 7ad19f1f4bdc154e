# Private sshd servers for the remoting tests: each instance listens on 127.0.0.1 at a free port,
# with its own config, host key, authorized key and log in one temporary folder, accepts the
# current user by key only, and serves the 'powershell' subsystem with the pwsh running the tests.
# The listeners and the remote pwsh processes carry the environment variable AGNO_TEST_SSHD=<folder>,
# so that they can be found and counted even when orphaned; the per-connection sshd processes (whose
# environ sshd overwrites) are found through their listener or the pwsh they run.

Set-StrictMode -Version 3.0

$script:TagVariable = 'AGNO_TEST_SSHD'

# The sshd binary, installed first on a Debian machine where we are root; else why not.
function Find-Sshd {
    [OutputType([hashtable])]
    param()
    foreach ($candidate in '/usr/sbin/sshd', '/usr/local/sbin/sshd') {
        if (Test-Path -LiteralPath $candidate) { return @{ Path = $candidate } }
    }
    if (-not $IsLinux) { return @{ Reason = 'sshd is not installed, and this test helper installs it only on Debian Linux.' } }
    if ((& id -u) -ne '0') { return @{ Reason = 'sshd is not installed and this user is not root, so the openssh-server package cannot be installed.' } }
    if (-not (Get-Command apt-get -CommandType Application -ErrorAction Ignore)) { return @{ Reason = 'sshd is not installed and there is no apt-get to install openssh-server with.' } }

    $frontend = $env:DEBIAN_FRONTEND
    $env:DEBIAN_FRONTEND = 'noninteractive'
    try {
        # A fresh machine has no package lists: without an update apt knows no candidate.
        $policy = & apt-cache policy openssh-server 2>&1 | Out-String
        if ($policy -notmatch 'Candidate:\s+\d') {
            $log = & apt-get update 2>&1 | Out-String
            if ($LASTEXITCODE -ne 0) { return @{ Reason = "sshd is not installed and 'apt-get update' failed ($LASTEXITCODE): $log" } }
        }
        $log = & apt-get install -y --no-install-recommends openssh-server 2>&1 | Out-String
        if ($LASTEXITCODE -ne 0) { return @{ Reason = "sshd is not installed and 'apt-get install openssh-server' failed ($LASTEXITCODE): $log" } }
    }
    finally {
        $env:DEBIAN_FRONTEND = $frontend
    }
    if (Test-Path -LiteralPath '/usr/sbin/sshd') { return @{ Path = '/usr/sbin/sshd' } }
    @{ Reason = 'openssh-server was installed but /usr/sbin/sshd is still missing.' }
}

# The command line that starts the pwsh running this code: under 'dotnet pwsh' the process is
# dotnet, which runs pwsh.dll.
function Get-PwshCommandLine {
    $exe = (Get-Process -Id $PID).Path
    if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { return @($exe, (Join-Path $PSHOME 'pwsh.dll')) }
    @($exe)
}

function Invoke-Native([string] $Command, [string[]] $Arguments) {
    $output = & $Command @Arguments 2>&1 | Out-String
    if ($LASTEXITCODE -ne 0) { throw "$Command $($Arguments -join ' ') failed ($LASTEXITCODE): $output" }
}

function New-KeyPair([string] $Path) {
    Invoke-Native 'ssh-keygen' @('-q', '-t', 'ed25519', '-N', '', '-C', 'agno-test', '-f', $Path)
    (Get-Content -LiteralPath "$Path.pub" -Raw).Trim()
}

function Get-FreePort {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

# Starts one sshd in the foreground (-D) logging to stderr (-e), and returns once it says it
# listens; its later log lines are copied to sshd.log. A port taken between Get-FreePort and the
# bind makes sshd exit, and the caller tries another.
function Start-SshdProcess([string] $Sshd, [string] $Config, [string] $Folder, [string] $LogPath, [int] $Port) {
    $info = [System.Diagnostics.ProcessStartInfo]::new($Sshd)
    foreach ($argument in '-D', '-e', '-f', $Config) { $info.ArgumentList.Add($argument) }
    $info.UseShellExecute = $false
    # Redirected, not inherited: a server process that outlived a test must never hold the test
    # runner's own output open.
    $info.RedirectStandardError = $true
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardInput = $true
    $info.Environment[$script:TagVariable] = $Folder
    $process = [System.Diagnostics.Process]::Start($info)
    $log = [System.IO.FileStream]::new($LogPath, [System.IO.FileMode]::Append, [System.IO.FileAccess]::Write, [System.IO.FileShare]::ReadWrite)
    $stream = $process.StandardError.BaseStream
    $buffer = [byte[]]::new(4096)
    $seen = [System.Text.StringBuilder]::new()
    $deadline = [DateTime]::UtcNow.AddSeconds(30)
    $listening = $false
    while (-not $listening) {
        $remaining = $deadline - [DateTime]::UtcNow
        $read = $stream.ReadAsync($buffer, 0, $buffer.Length)
        if ($remaining -le [TimeSpan]::Zero -or -not $read.Wait($remaining)) {
            $process.Kill()
            $log.Dispose()
            throw "sshd on port $Port did not report listening within 30 s: $seen"
        }
        if ($read.Result -eq 0) {
            $process.WaitForExit()
            $log.Dispose()
            return [pscustomobject]@{ Process = $null; ExitCode = $process.ExitCode; Output = $seen.ToString() }
        }
        $log.Write($buffer, 0, $read.Result)
        $null = $seen.Append([System.Text.Encoding]::UTF8.GetString($buffer, 0, $read.Result))
        $listening = $seen.ToString() -match "Server listening on 127\.0\.0\.1 port $Port\b"
    }
    $log.Flush()
    # stderr must keep draining, or sshd blocks on a full pipe; the copy ends when sshd exits.
    [pscustomobject]@{ Process = $process; Log = $log; LogCopy = $stream.CopyToAsync($log); Output = $seen.ToString() }
}

function Start-AgnoTestSshd {
    <#
    .SYNOPSIS
        Starts private sshd servers on 127.0.0.1 for PowerShell remoting tests.
    .DESCRIPTION
        Each server listens at a free port with its own config, host key and authorized_keys in one
        temporary folder, accepts only key authentication for the current user, and serves the
        'powershell' subsystem with the pwsh running this code. When sshd is not installed it
        installs openssh-server (root on Debian only); when it cannot, it writes a non-terminating
        error (AgnoTestSshdUnavailable) with the reason and returns nothing, so that a test can
        report itself skipped. A server that is installed but fails to start throws.
    .OUTPUTS
        One object for all servers: HostName, Port (the first), Ports, UserName, KeyFilePath,
        RefusedKeyFilePath (a key no server accepts), Options (ssh options for New-PSSession
        -Options), SshConfigPath (for ssh -F), Folder, ProcessIds, Servers (per server: Port,
        ProcessId, ConfigPath, LogPath).
    .EXAMPLE
        $sshd = Start-AgnoTestSshd -ErrorAction SilentlyContinue -ErrorVariable why
        $s = New-PSSession -HostName $sshd.HostName -Port $sshd.Ports[1] -UserName $sshd.UserName -KeyFilePath $sshd.KeyFilePath -Options $sshd.Options
    #>
    [CmdletBinding()]
    param(
        [ValidateRange(1, 16)]
        [int] $Count = 2
    )

    $found = Find-Sshd
    if (-not $found.ContainsKey('Path')) {
        $record = [System.Management.Automation.ErrorRecord]::new(
            [System.InvalidOperationException]::new("No test sshd: $($found.Reason)"),
            'AgnoTestSshdUnavailable', [System.Management.Automation.ErrorCategory]::NotInstalled, $null)
        $PSCmdlet.WriteError($record)
        return
    }
    $sshd = $found.Path

    # Privilege separation needs this directory when sshd runs as root; the package's service
    # unit would create it, but nothing starts that unit here.
    if ((& id -u) -eq '0' -and -not (Test-Path /run/sshd)) { $null = New-Item -ItemType Directory -Path /run/sshd }

    $folder = Join-Path ([IO.Path]::GetTempPath()) ('agno-sshd-' + [IO.Path]::GetRandomFileName().Replace('.', ''))
    $null = New-Item -ItemType Directory -Path $folder
    & chmod 700 $folder
    $userName = [Environment]::UserName
    $started = [System.Collections.Generic.List[object]]::new()
    try {
        $keyPath = Join-Path $folder 'id_ed25519'
        $userKey = New-KeyPair $keyPath
        $refusedKeyPath = Join-Path $folder 'id_refused'
        $null = New-KeyPair $refusedKeyPath

        # The subsystem runs through the user's shell; the wrapper execs the tests' pwsh, tagged.
        $wrapper = Join-Path $folder 'pwsh-sshs'
        $pwsh = (Get-PwshCommandLine | ForEach-Object { "'" + $_.Replace("'", "'\''") + "'" }) -join ' '
        Set-Content -LiteralPath $wrapper -Value "#!/bin/sh`nexport $script:TagVariable='$folder'`nexec $pwsh `"`$@`"`n" -NoNewline
        & chmod 755 $wrapper

        $knownHosts = [System.Collections.Generic.List[string]]::new()
        for ($i = 0; $i -lt $Count; $i++) {
            $dir = New-Item -ItemType Directory -Path (Join-Path $folder "server$i")
            $hostKey = New-KeyPair (Join-Path $dir 'ssh_host_ed25519_key')
            $authorized = Join-Path $dir 'authorized_keys'
            Set-Content -LiteralPath $authorized -Value $userKey
            $configPath = Join-Path $dir 'sshd_config'
            $logPath = Join-Path $dir 'sshd.log'
            $server = $null
            for ($attempt = 1; -not $server; $attempt++) {
                $port = Get-FreePort
                Set-Content -LiteralPath $configPath -Value @"
ListenAddress 127.0.0.1
Port $port
HostKey $dir/ssh_host_ed25519_key
PidFile $dir/sshd.pid
AuthorizedKeysFile $authorized
AuthenticationMethods publickey
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers $userName
StrictModes no
UsePAM no
UseDNS no
PrintMotd no
X11Forwarding no
AllowTcpForwarding no
MaxStartups 100
MaxSessions 100
LoginGraceTime 30
LogLevel VERBOSE
Subsystem powershell $wrapper -sshs -NoLogo -NoProfile
"@
                Invoke-Native $sshd @('-t', '-f', $configPath)
                $result = Start-SshdProcess -Sshd $sshd -Config $configPath -Folder $folder -LogPath $logPath -Port $port
                if ($result.Process) {
                    $server = [pscustomobject]@{ Port = $port; ProcessId = $result.Process.Id; ConfigPath = $configPath; LogPath = $logPath; Process = $result.Process; Log = $result.Log; LogCopy = $result.LogCopy }
                }
                elseif ($attempt -ge 5 -or $result.Output -notmatch 'Address already in use') {
                    throw "sshd ($configPath) exited with code $($result.ExitCode) before listening: $($result.Output)"
                }
            }
            $started.Add($server)
            $knownHosts.Add("[127.0.0.1]:$($server.Port) $hostKey")
        }

        $knownHostsPath = Join-Path $folder 'known_hosts'
        Set-Content -LiteralPath $knownHostsPath -Value $knownHosts
        # The client must never prompt: host keys are known in advance, and BatchMode makes any
        # other question a failure instead of a hang on the remoting channel.
        $options = [ordered]@{
            UserKnownHostsFile    = $knownHostsPath
            GlobalKnownHostsFile  = '/dev/null'
            StrictHostKeyChecking = 'yes'
            IdentitiesOnly        = 'yes'
            BatchMode             = 'yes'
            LogLevel              = 'ERROR'
        }
        $sshConfigPath = Join-Path $folder 'ssh_config'
        Set-Content -LiteralPath $sshConfigPath -Value (@(
                'Host 127.0.0.1'
                "  User $userName"
                "  IdentityFile $keyPath"
                foreach ($key in $options.Keys) { "  $key $($options[$key])" }
            ) -join "`n")

        [pscustomobject]@{
            PSTypeName         = 'AgnoTestSshd'
            HostName           = '127.0.0.1'
            Port               = $started[0].Port
            Ports              = [int[]] @($started.Port)
            UserName           = $userName
            KeyFilePath        = $keyPath
            RefusedKeyFilePath = $refusedKeyPath
            Options            = [hashtable] @{} + $options
            SshConfigPath      = $sshConfigPath
            Folder             = $folder
            ProcessIds         = [int[]] @($started.ProcessId)
            Servers            = $started.ToArray()
        }
    }
    catch {
        Stop-ServerProcess ([pscustomobject]@{ Folder = $folder; Ports = [int[]] @($started.Port); ProcessIds = [int[]] @($started.ProcessId); Servers = $started.ToArray() })
        Remove-Item -LiteralPath $folder -Recurse -Force -ErrorAction Ignore
        throw
    }
}

# Every process now: id, parent id, argv and whether it carries the servers' tag. A process can
# exit while it is read: it is then simply left out.
function Get-ProcessTable([string] $Tag) {
    foreach ($dir in [System.IO.Directory]::EnumerateDirectories('/proc')) {
        $id = 0
        if (-not [int]::TryParse([System.IO.Path]::GetFileName($dir), [ref] $id)) { continue }
        try {
            $stat = [System.IO.File]::ReadAllText("$dir/stat")
            $argv = [System.IO.File]::ReadAllText("$dir/cmdline").Split([char] 0, [StringSplitOptions]::RemoveEmptyEntries)
            $tagged = [System.IO.File]::ReadAllText("$dir/environ").Split([char] 0) -ccontains $Tag
        }
        catch [System.IO.IOException], [System.UnauthorizedAccessException] {
            continue
        }
        if ($argv.Count -eq 0) { continue }
        # stat is "pid (comm) state ppid ...", and comm may hold spaces and parentheses.
        $parentId = [int] $stat.Substring($stat.LastIndexOf(')') + 2).Split(' ')[1]
        [pscustomobject]@{ Id = $id; ParentId = $parentId; Argv = $argv; Tagged = $tagged; IsSshd = $argv[0] -match '^(/\S*/)?sshd\b' }
    }
}

function Get-AgnoTestSshdProcess {
    <#
    .SYNOPSIS
        The processes the test servers and their clients run now, to assert that none leaks.
    .DESCRIPTION
        Kind 'sshd': a listener, or a per-connection sshd (a descendant of a listener, or an
        ancestor of a remote pwsh: sshd rewrites its per-connection processes' argv and environ,
        so they carry no tag); 'pwsh': a remote PowerShell the subsystem started, found by its
        AGNO_TEST_SSHD tag even when orphaned; 'ssh': an ssh client on this machine connected to
        one of the servers' ports.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)] [psobject] $Server,
        [ValidateSet('sshd', 'pwsh', 'ssh')] [string[]] $Kind = @('sshd', 'pwsh', 'ssh')
    )
    $table = @(Get-ProcessTable -Tag "$script:TagVariable=$($Server.Folder)" | Where-Object Id -NE $PID)
    $byId = @{}
    foreach ($p in $table) { $byId[$p.Id] = $p }
    $kinds = @{}
    foreach ($p in $table) {
        if ($p.Tagged -and -not $p.IsSshd) {
            $kinds[$p.Id] = 'pwsh'
            for ($up = $byId[$p.ParentId]; $up -and $up.IsSshd; $up = $byId[$up.ParentId]) { $kinds[$up.Id] = 'sshd' }
        }
        elseif ($p.IsSshd) {
            for ($up = $p; $up; $up = $byId[$up.ParentId]) {
                if ($up.Id -in $Server.ProcessIds) { $kinds[$p.Id] = 'sshd'; break }
                if ($up.ParentId -eq $up.Id) { break }
            }
        }
        elseif ([System.IO.Path]::GetFileName($p.Argv[0]) -eq 'ssh') {
            $portIndex = [array]::IndexOf($p.Argv, '-p')
            if ($portIndex -ge 0 -and $portIndex + 1 -lt $p.Argv.Count -and $p.Argv[$portIndex + 1] -in $Server.Ports) { $kinds[$p.Id] = 'ssh' }
        }
    }
    foreach ($p in $table) {
        $found = $kinds[$p.Id]
        if ($found -and $found -in $Kind) { [pscustomobject]@{ Id = $p.Id; Kind = $found; CommandLine = $p.Argv -join ' ' } }
    }
}

# True once the process has exited: gone, or a zombie, which is dead but waits to be reaped by its
# parent (or by PID 1 for the orphans of a killed listener, which may take seconds).
function Test-Exited([int] $Id) {
    try { $stat = [System.IO.File]::ReadAllText("/proc/$Id/stat") }
    catch [System.IO.IOException] { return $true }
    $stat.Substring($stat.LastIndexOf(')') + 2, 1) -eq 'Z'
}

# Waits for each process to exit, up to a shared deadline; returns those still running. These are
# not our children: Linux signals their exit to nobody here, so the wait is a bounded poll, as
# .NET's own Process.WaitForExit does for a process that is not its child.
function Wait-ProcessExit([object[]] $Found, [int] $TimeoutSeconds) {
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    foreach ($item in $Found) {
        while (-not (Test-Exited $item.Id) -and [DateTime]::UtcNow -lt $deadline) {
            Start-Sleep -Milliseconds 50
        }
        if (-not (Test-Exited $item.Id)) { $item }
    }
}

function Wait-AgnoTestSshdProcessExit {
    <#
    .SYNOPSIS
        Waits until the servers' processes of the given kinds have exited (a remote pwsh exits a
        moment after its session is closed), and returns those still running after the timeout.
    .EXAMPLE
        Remove-PSSession $s; Wait-AgnoTestSshdProcessExit $sshd | Should -BeNullOrEmpty
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)] [psobject] $Server,
        [ValidateSet('sshd', 'pwsh', 'ssh')] [string[]] $Kind = @('pwsh', 'ssh'),
        [int] $TimeoutSeconds = 15
    )
    $found = @(Get-AgnoTestSshdProcess $Server -Kind $Kind | Where-Object Id -NotIn $Server.ProcessIds)
    Wait-ProcessExit -Found $found -TimeoutSeconds $TimeoutSeconds
}

# Finds the per-connection processes while their listeners still run (they are found through
# them), kills the listeners (no new connection), then those processes, which outlive their
# listener by design, and whatever remote pwsh is still tagged. The log copies end last: the
# per-connection processes hold the listener's stderr too.
function Stop-ServerProcess([psobject] $Probe) {
    $children = @(Get-AgnoTestSshdProcess $Probe -Kind sshd, pwsh | Where-Object Id -NotIn $Probe.ProcessIds)
    foreach ($server in $Probe.Servers) {
        if (-not $server.Process.HasExited) { $server.Process.Kill() }
        $server.Process.WaitForExit()
    }
    $children += @(Get-AgnoTestSshdProcess $Probe -Kind pwsh)
    foreach ($child in $children) {
        try { [System.Diagnostics.Process]::GetProcessById($child.Id).Kill() }
        catch [System.ArgumentException], [System.InvalidOperationException] { continue }   # it exited meanwhile
    }
    $null = Wait-ProcessExit -Found $children -TimeoutSeconds 10
    foreach ($server in $Probe.Servers) {
        $null = $server.LogCopy.Wait(5000)
        $server.Log.Dispose()
        $server.Process.Dispose()
    }
}

function Stop-AgnoTestSshd {
    <#
    .SYNOPSIS
        Stops the servers Start-AgnoTestSshd started, kills what they left running, verifies that
        no sshd or remote pwsh of theirs remains, and removes their folder.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipeline)] [AllowNull()] [psobject] $Server
    )
    process {
        if (-not $Server) { return }
        Stop-ServerProcess $Server
        $left = @(Get-AgnoTestSshdProcess $Server -Kind sshd, pwsh)
        Remove-Item -LiteralPath $Server.Folder -Recurse -Force -ErrorAction Ignore
        if ($left.Count -gt 0) {
            throw "The test sshd in $($Server.Folder) left processes running: $(($left | ForEach-Object { "$($_.Id) $($_.CommandLine)" }) -join '; ')"
        }
    }
}

Export-ModuleMember -Function Start-AgnoTestSshd, Stop-AgnoTestSshd, Get-AgnoTestSshdProcess, Wait-AgnoTestSshdProcessExit
