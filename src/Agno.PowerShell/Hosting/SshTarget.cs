using System;
using System.Collections;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Agno.Core;

namespace Agno.Hosting
{
    /// <summary>
    /// A host reached over SSH, as New-PSSession -HostName reaches it (the same ssh client, options and
    /// subsystem). Connections are opened by Agno and pooled per host, user, port, key, subsystem and
    /// options. A connection that cannot be made is diagnosed by running ssh once more, since PowerShell
    /// reports every SSH failure alike and prints ssh's own reason to the console, not to the error.
    /// </summary>
    internal sealed class SshTarget : PooledTarget
    {
        /// <summary>How long opening a connection may take (ssh's handshake and the remote pwsh's start); PowerShell's own default is forever.</summary>
        internal static readonly TimeSpan ConnectingTimeout = TimeSpan.FromSeconds(60);

        /// <summary>Options a step needs unless the user says otherwise: never ask (nobody can answer), and notice a peer that went silent.</summary>
        private static readonly (string Name, string Value)[] DefaultOptions =
        {
            ("BatchMode", "yes"), ("ServerAliveInterval", "15"), ("ServerAliveCountMax", "3"),
        };

        private static readonly Lazy<Func<string?, string, string?, int, string?, int, Hashtable, RunspaceConnectionInfo>> NewConnectionInfo =
            new Lazy<Func<string?, string, string?, int, string?, int, Hashtable, RunspaceConnectionInfo>>(FindConnectionInfo);

        private readonly Hashtable _options;

        public SshTarget(string hostName, string? userName, string? keyFilePath, int port, string? subsystem, IDictionary? options, TimeSpan idleTimeout)
            : base(idleTimeout)
        {
            HostName = hostName;
            UserName = userName;
            KeyFilePath = keyFilePath;
            Port = port;
            Subsystem = subsystem;
            _options = new Hashtable(StringComparer.OrdinalIgnoreCase);
            foreach (DictionaryEntry entry in options ?? new Hashtable()) _options[entry.Key.ToString()!] = entry.Value?.ToString() ?? "";
            foreach (var (name, value) in DefaultOptions)
            {
                if (!_options.ContainsKey(name)) _options[name] = value;
            }
            PoolKey = string.Join("\n", new[] { "ssh", HostName, UserName ?? "", KeyFilePath ?? "", Port.ToString(CultureInfo.InvariantCulture), Subsystem ?? "" }
                .Concat(_options.Keys.Cast<string>().OrderBy(k => k, StringComparer.OrdinalIgnoreCase).Select(k => k + "=" + _options[k])));
        }

        public string HostName { get; }
        public string? UserName { get; }

        /// <summary>The full path of the key; never put in a message, the state, a store or a run record.</summary>
        public string? KeyFilePath { get; }
        public int Port { get; }
        public string? Subsystem { get; }

        public override string HostLabel => HostName;
        public override string Location => Port == 0 ? $"on host '{HostName}'" : $"on host '{HostName}' (port {Port})";
        public override string PoolKey { get; }

        protected override async Task<RemoteConnection> OpenAsync(CancellationToken cancellationToken)
        {
            if (KeyFilePath != null && !File.Exists(KeyFilePath))
            {
                throw Failure("AgnoKeyFileNotFound", "the key file given with -KeyFilePath no longer exists. Give a key file that exists.", AgnoErrorKind.NotFound);
            }
            var unreachable = await ProbeAsync(cancellationToken).ConfigureAwait(false);
            if (unreachable != null)
            {
                throw Failure("AgnoRemoteUnreachable", $"the host cannot be reached ({unreachable}). Check -HostName and -Port, and that sshd runs there.", AgnoErrorKind.ResourceUnavailable);
            }
            var connection = new SshConnection(CreateRunspace());
            var failure = await OpenAsync(connection.Runspace, connection.Kill, cancellationToken).ConfigureAwait(false);
            if (failure == null) return connection;
            connection.Close();
            throw await DiagnoseAsync(failure, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>A runspace over SSH to this target, not opened yet.</summary>
        internal Runspace CreateRunspace() =>
            RunspaceFactory.CreateRunspace(NewConnectionInfo.Value(UserName, HostName, KeyFilePath, Port, Subsystem, (int)ConnectingTimeout.TotalMilliseconds, _options));

        /// <summary>
        /// Why the host's SSH port cannot be reached, or null when it can (or goes through a proxy). This
        /// is checked before PowerShell starts ssh: an ssh that ends at once (connection refused, no such
        /// host) can end before PowerShell's first write to it, and PowerShell then fails to flush that
        /// write while closing, on a thread of its own, which ends the whole process. The host and port
        /// are ssh's own (ssh -G applies its config files and -o options to the name given).
        /// </summary>
        private async Task<string?> ProbeAsync(CancellationToken cancellationToken)
        {
            var config = await RunSshAsync(CommonArguments().Concat(new[] { "-G", HostName }), cancellationToken).ConfigureAwait(false);
            if (config.ExitCode != 0) return null; // ssh itself will say what is wrong
            var settings = config.Output.Split('\n').Select(l => l.Trim().Split(new[] { ' ' }, 2)).Where(p => p.Length == 2)
                .GroupBy(p => p[0], StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.First()[1], StringComparer.OrdinalIgnoreCase);
            bool Set(string name) => settings.TryGetValue(name, out var value) && !value.Equals("none", StringComparison.OrdinalIgnoreCase);
            if (Set("proxycommand") || Set("proxyjump") || !settings.TryGetValue("hostname", out var host)
                || !int.TryParse(settings.TryGetValue("port", out var portText) ? portText : "22", NumberStyles.None, CultureInfo.InvariantCulture, out var port))
            {
                return null;
            }
            using var client = new TcpClient();
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bound.CancelAfter(ProbeTimeout);
            try
            {
                await client.ConnectAsync(host, port, bound.Token).ConfigureAwait(false);
                return null;
            }
            catch (SocketException e)
            {
                return $"{e.Message}: {host} port {port}";
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return $"no answer from {host} port {port} within {ProbeTimeout.TotalSeconds:0} s";
            }
        }

        /// <summary>How long the probe of the SSH port waits for an answer.</summary>
        private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(15);

        /// <summary>
        /// Names why a connection could not be made: runs ssh with the same arguments, its input closed,
        /// and reads what it says (unreachable, login refused, host key unknown, no PowerShell there).
        /// </summary>
        private async Task<AgnoException> DiagnoseAsync(Exception failure, CancellationToken cancellationToken)
        {
            var run = await RunSshAsync(CommonArguments().Concat(new[] { "-o", "ConnectTimeout=10", "-s", HostName, Subsystem ?? "powershell" }), cancellationToken).ConfigureAwait(false);
            var said = string.Join(" ", (run.Errors + "\n" + run.Output).Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0));
            bool Says(params string[] texts) => texts.Any(t => said.IndexOf(t, StringComparison.OrdinalIgnoreCase) >= 0);
            var quoted = said.Length == 0 ? "" : $" (ssh: {said})";
            if (Says("Permission denied", "Too many authentication failures"))
            {
                var who = UserName == null ? "the login" : $"the login of user '{UserName}'";
                return Failure("AgnoRemoteAuthenticationFailed", $"the host refused {who}{quoted}. Check -UserName and -KeyFilePath, and that the key's public half is in that user's authorized_keys there.", AgnoErrorKind.PermissionDenied, failure);
            }
            if (Says("Host key verification failed", "host key is known", "REMOTE HOST IDENTIFICATION HAS CHANGED"))
            {
                return Failure("AgnoRemoteHostKeyRejected", $"the host's key is not known here, or has changed{quoted}. Connect once with ssh to check it and record it in known_hosts, or name a known_hosts file with -Options @{{ UserKnownHostsFile = '…' }}.", AgnoErrorKind.PermissionDenied, failure);
            }
            if (Says("subsystem request failed"))
            {
                return Failure("AgnoRemoteNoPowerShell", $"the host has no '{Subsystem ?? "powershell"}' SSH subsystem{quoted}. Install PowerShell 7 there and add 'Subsystem powershell <path to pwsh> -sshs -NoLogo' to its sshd_config.", AgnoErrorKind.ResourceUnavailable, failure);
            }
            if (Says("Connection refused", "Could not resolve hostname", "No route to host", "Network is unreachable", "timed out"))
            {
                return Failure("AgnoRemoteUnreachable", $"the host cannot be reached{quoted}. Check -HostName and -Port, and that sshd runs there.", AgnoErrorKind.ResourceUnavailable, failure);
            }
            return Failure("AgnoRemoteConnectFailed", $"no connection could be made: {failure.Message}{quoted}", AgnoErrorKind.ResourceUnavailable, failure);
        }

        /// <summary>Runs ssh with <paramref name="arguments"/> and its input closed, bounded in time; the key's path is left out of what it wrote.</summary>
        private async Task<(int ExitCode, string Output, string Errors)> RunSshAsync(IEnumerable<string> arguments, CancellationToken cancellationToken)
        {
            var start = new ProcessStartInfo("ssh")
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var argument in arguments) start.ArgumentList.Add(argument);
            Process process;
            try
            {
                process = Process.Start(start)!;
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                return (-1, "", "ssh could not be run: " + e.Message);
            }
            using (process)
            {
                process.StandardInput.Close();
                var stdout = process.StandardOutput.ReadToEndAsync();
                var stderr = process.StandardError.ReadToEndAsync();
                var exited = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                process.EnableRaisingEvents = true;
                process.Exited += (s, e) => exited.TrySetResult(true);
                if (process.HasExited) exited.TrySetResult(true);
                using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                bound.CancelAfter(TimeSpan.FromSeconds(20));
                using (bound.Token.Register(() => exited.TrySetResult(false)))
                {
                    if (!await exited.Task.ConfigureAwait(false))
                    {
                        try { process.Kill(); } catch (InvalidOperationException) { }
                        cancellationToken.ThrowIfCancellationRequested();
                    }
                }
                string Clean(string text) => KeyFilePath == null ? text : text.Replace(KeyFilePath, "<key file>");
                var exitCode = process.HasExited ? process.ExitCode : -1;
                return (exitCode, Clean(await stdout.ConfigureAwait(false)), Clean(await stderr.ConfigureAwait(false)));
            }
        }

        /// <summary>ssh's arguments as PowerShell passes them, before the host.</summary>
        private IEnumerable<string> CommonArguments()
        {
            if (KeyFilePath != null) { yield return "-i"; yield return KeyFilePath; }
            if (UserName != null) { yield return "-l"; yield return UserName; }
            if (Port != 0) { yield return "-p"; yield return Port.ToString(CultureInfo.InvariantCulture); }
            foreach (DictionaryEntry option in _options) { yield return "-o"; yield return $"{option.Key}={option.Value}"; }
        }

        /// <summary>
        /// SSHConnectionInfo's constructor (user, host, key file, port, subsystem, connecting timeout in ms,
        /// options), of PowerShell 7.3 and later; the module is compiled against PowerShell 5.1's reference
        /// assemblies, which do not have it.
        /// </summary>
        private static Func<string?, string, string?, int, string?, int, Hashtable, RunspaceConnectionInfo> FindConnectionInfo()
        {
            var type = typeof(PSObject).Assembly.GetType("System.Management.Automation.Runspaces.SSHConnectionInfo", throwOnError: true)!;
            var constructor = type.GetConstructor(new[] { typeof(string), typeof(string), typeof(string), typeof(int), typeof(string), typeof(int), typeof(Hashtable) })
                ?? throw new NotSupportedException("This PowerShell has no SSHConnectionInfo(user, host, key file, port, subsystem, timeout, options): remote steps need PowerShell 7.4 or later.");
            return (user, host, key, port, subsystem, timeout, options) =>
                (RunspaceConnectionInfo)constructor.Invoke(new object?[] { user, host, key, port, subsystem, timeout, options });
        }
    }
}
