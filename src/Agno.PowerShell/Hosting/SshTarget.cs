using System;
using System.Collections;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
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
        /// Names why a connection could not be made: runs ssh with the same arguments, its input closed,
        /// and reads what it says (unreachable, login refused, host key unknown, no PowerShell there).
        /// </summary>
        private async Task<AgnoException> DiagnoseAsync(Exception failure, CancellationToken cancellationToken)
        {
            var said = await RunSshAsync(cancellationToken).ConfigureAwait(false);
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

        /// <summary>What ssh writes when run as PowerShell runs it, bounded in time; the key's path is left out.</summary>
        private async Task<string> RunSshAsync(CancellationToken cancellationToken)
        {
            var start = new ProcessStartInfo("ssh")
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var argument in SshArguments()) start.ArgumentList.Add(argument);
            Process process;
            try
            {
                process = Process.Start(start)!;
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                return "ssh could not be run: " + e.Message;
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
                var text = string.Join(" ", (await stderr.ConfigureAwait(false) + "\n" + await stdout.ConfigureAwait(false))
                    .Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0));
                return KeyFilePath == null ? text : text.Replace(KeyFilePath, "<key file>");
            }
        }

        /// <summary>ssh's arguments as PowerShell passes them, and a bound on the TCP connect for this one run.</summary>
        private IEnumerable<string> SshArguments()
        {
            if (KeyFilePath != null) { yield return "-i"; yield return KeyFilePath; }
            if (UserName != null) { yield return "-l"; yield return UserName; }
            if (Port != 0) { yield return "-p"; yield return Port.ToString(CultureInfo.InvariantCulture); }
            foreach (DictionaryEntry option in _options) { yield return "-o"; yield return $"{option.Key}={option.Value}"; }
            yield return "-o";
            yield return "ConnectTimeout=10";
            yield return "-s";
            yield return HostName;
            yield return Subsystem ?? "powershell";
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
