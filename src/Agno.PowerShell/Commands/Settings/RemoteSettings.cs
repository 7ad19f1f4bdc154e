using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using Agno.Core;
using Agno.Hosting;

namespace Agno.Commands
{
    /// <summary>
    /// Where steps run when not in this process, shared by New-AgnoStep (one host or session) and
    /// Invoke-AgnoParallel (a branch per host or session): -HostName and its SSH options, as
    /// New-PSSession takes them, or -PSSession; and how long a connection Agno opened (over SSH, or a
    /// child process of -Isolation Process) is kept once idle. See <see cref="SettingsParameters"/>.
    /// </summary>
    public sealed class RemoteSettings
    {
        /// <summary>Hosts to run on over SSH (PowerShell remoting), as New-PSSession -HostName: a name, or user@name:port.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[]? HostName { get; set; }

        /// <summary>The user to log in as on -HostName; ssh's default (its config, or your user name) when not given.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? UserName { get; set; }

        /// <summary>The private key file for -HostName; ssh's default keys (and agent) when not given.</summary>
        [Parameter]
        [Alias("IdentityFilePath")]
        [ValidateNotNullOrEmpty]
        public string? KeyFilePath { get; set; }

        /// <summary>The SSH port of -HostName; ssh's default (22, or its config) when not given.</summary>
        [Parameter]
        [ValidateRange(0, 65535)]
        public int Port { get; set; }

        /// <summary>The SSH subsystem that runs PowerShell on -HostName; 'powershell' when not given.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? Subsystem { get; set; }

        /// <summary>ssh options for -HostName (-o name=value), as New-PSSession -Options.</summary>
        [Parameter]
        [ValidateNotNull]
        public Hashtable? Options { get; set; }

        /// <summary>Open PSSessions to run in (SSH, or WinRM on Windows); they stay yours, open, after the run.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public PSSession[]? PSSession { get; set; }

        /// <summary>How long a connection Agno opened is kept after its last step, for later steps and runs; 0 closes it at once.</summary>
        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int IdleTimeoutSeconds { get; set; } = (int)PooledTarget.DefaultIdleTimeout.TotalSeconds;

        private static readonly string[] SshOnly = { nameof(UserName), nameof(KeyFilePath), nameof(Port), nameof(Subsystem), nameof(Options) };

        /// <summary>
        /// Where scripts given with these settings run, one entry a place, at least one: the hosts or
        /// sessions given, in order; else, with <paramref name="processIsolation"/>, a child process (the
        /// shared one unless -IdleTimeoutSeconds was given); else null, this process. Refuses parameters
        /// that do not go together, and a key file that does not exist.
        /// </summary>
        internal IReadOnlyList<RemoteTarget?> Places(PSCmdlet caller, SettingsParameters bound, bool processIsolation)
        {
            var targets = Targets(caller, bound, processIsolation);
            if (targets.Count > 0) return targets;
            if (!processIsolation) return new RemoteTarget?[] { null };
            return new RemoteTarget?[] { bound.IsSet(nameof(IdleTimeoutSeconds)) ? new ProcessTarget(IdleTimeout) : ProcessTarget.Default };
        }

        private IReadOnlyList<RemoteTarget> Targets(PSCmdlet caller, SettingsParameters bound, bool processIsolation)
        {
            bool hosts = bound.IsSet(nameof(HostName)), sessions = bound.IsSet(nameof(PSSession));
            if (hosts && sessions)
            {
                throw new AgnoArgumentException("-HostName and -PSSession are two ways of saying where steps run: give one of them.", nameof(PSSession));
            }
            foreach (var name in SshOnly)
            {
                if (bound.IsSet(name) && !hosts)
                {
                    throw new AgnoArgumentException($"-{name} says how to reach -HostName, which was not given. Give -HostName too, or leave -{name} out.", name);
                }
            }
            if (bound.IsSet(nameof(IdleTimeoutSeconds)) && !hosts && !processIsolation)
            {
                throw new AgnoArgumentException("-IdleTimeoutSeconds applies to connections Agno opens (-HostName, -Isolation Process); a -PSSession stays yours, and steps in this process need none.", nameof(IdleTimeoutSeconds));
            }
            if (sessions) return PSSession!.Select(s => (RemoteTarget)new PSSessionTarget(s)).ToList();
            if (!hosts) return Array.Empty<RemoteTarget>();
            var keyFile = KeyFilePath == null ? null : caller.SessionState.Path.GetUnresolvedProviderPathFromPSPath(KeyFilePath);
            if (keyFile != null && !File.Exists(keyFile))
            {
                throw new AgnoCommandException("AgnoKeyFileNotFound", $"There is no key file '{keyFile}' (-KeyFilePath). Give the path of the private key to log in with.", AgnoErrorKind.NotFound, keyFile);
            }
            return HostName!.Select(name => (RemoteTarget)ParseHost(name, keyFile)).ToList();
        }

        private TimeSpan IdleTimeout => TimeSpan.FromSeconds(IdleTimeoutSeconds);

        /// <summary>A host as New-PSSession -HostName reads it: [user@]name[:port], an IPv6 address in brackets; what it names wins over -UserName and -Port.</summary>
        internal SshTarget ParseHost(string given, string? keyFile)
        {
            string host = given, user = UserName ?? "";
            int port = Port;
            int at = host.LastIndexOf('@');
            if (at >= 0)
            {
                user = host.Substring(0, at);
                host = host.Substring(at + 1);
            }
            string? portText = null;
            if (host.StartsWith("[", StringComparison.Ordinal) && host.IndexOf(']') > 0)
            {
                int close = host.IndexOf(']');
                if (close + 1 < host.Length && host[close + 1] == ':') portText = host.Substring(close + 2);
                host = host.Substring(1, close - 1);
            }
            else if (host.Count(c => c == ':') == 1)
            {
                portText = host.Substring(host.IndexOf(':') + 1);
                host = host.Substring(0, host.IndexOf(':'));
            }
            if (portText != null && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port < 1 || port > 65535))
            {
                throw new AgnoArgumentException($"-HostName '{given}' names the port '{portText}', which is not a port number (1 to 65535).", given);
            }
            if (host.Length == 0 || (at >= 0 && user.Length == 0))
            {
                throw new AgnoArgumentException($"-HostName '{given}' is not a host: give a name or address, as [user@]name[:port].", given);
            }
            return new SshTarget(host, user.Length == 0 ? null : user, keyFile, port, Subsystem, Options, IdleTimeout);
        }
    }
}
