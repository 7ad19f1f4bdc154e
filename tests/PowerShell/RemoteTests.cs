using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using Agno.Commands;
using Agno.Core;
using Agno.Hosting;
using Xunit;

namespace Agno.PowerShell.Tests
{
    /// <summary>
    /// What remote and process steps take from PowerShell's internals by reflection (the module is built
    /// against PowerShell 5.1's reference assemblies), pinned so that a PowerShell that moves them fails
    /// here; and the parts of the remote protocol that need no host.
    /// </summary>
    public class RemoteReflectionTests
    {
        [Fact]
        public void An_SSH_runspace_is_made_with_the_target_s_host_user_port_and_subsystem()
        {
            var target = new SshTarget("web1.example", "ops", null, 2222, "pwsh", new Hashtable { ["ConnectTimeout"] = "5" }, TimeSpan.FromMinutes(1));
            using var runspace = target.CreateRunspace();
            dynamic info = runspace.ConnectionInfo;
            Assert.Equal("SSHConnectionInfo", runspace.ConnectionInfo.GetType().Name);
            Assert.Equal("web1.example", (string)info.ComputerName);
            Assert.Equal("ops", (string)info.UserName);
            Assert.Equal(2222, (int)info.Port);
            Assert.Equal("pwsh", (string)info.Subsystem);
        }

        [Fact]
        public void The_path_to_the_ssh_client_s_process_id_reaches_the_SSH_transport()
        {
            var target = new SshTarget("web1.example", null, null, 0, null, null, TimeSpan.FromMinutes(1));
            using var runspace = target.CreateRunspace();
            var transport = SshConnection.Transport(runspace);
            Assert.NotNull(transport);
            Assert.Equal("SSHClientSessionTransportManager", transport!.GetType().Name);
            Assert.NotNull(transport.GetType().GetField("_sshProcessId", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic));
            Assert.Equal(0, SshConnection.SshProcessId(runspace)); // no ssh runs before it opens
        }

        [Fact]
        public void A_child_process_instance_and_its_runspace_are_made_without_starting_the_child()
        {
            var instance = ProcessTarget.NewProcessInstance();
            try
            {
                var start = ProcessTarget.ProcessOf(instance).StartInfo;
                Assert.Contains("-s", start.ArgumentList);
                using var runspace = ProcessTarget.CreateRunspace(instance);
                Assert.Equal(RunspaceState.BeforeOpen, runspace.RunspaceStateInfo.State);
            }
            finally
            {
                instance.Dispose();
            }
        }
    }

    public class RemoteSettingsTests
    {
        [Theory]
        [InlineData("web1", "svc", 22, "web1", "svc", 22)]
        [InlineData("ops@web1", "svc", 22, "web1", "ops", 22)]
        [InlineData("ops@web1:2222", null, 0, "web1", "ops", 2222)]
        [InlineData("web1:2222", null, 0, "web1", null, 2222)]
        [InlineData("[::1]:2200", null, 0, "::1", null, 2200)]
        [InlineData("fe80::1", null, 0, "fe80::1", null, 0)]
        [InlineData("ad@corp@web1", null, 0, "web1", "ad@corp", 0)]
        public void A_host_name_is_read_as_New_PSSession_reads_it(string given, string? userName, int port, string host, string? user, int expectedPort)
        {
            var settings = new RemoteSettings { UserName = userName, Port = port };
            var target = settings.ParseHost(given, null);
            Assert.Equal(host, target.HostName);
            Assert.Equal(user, target.UserName);
            Assert.Equal(expectedPort, target.Port);
            Assert.Equal(host, target.HostLabel);
        }

        [Theory]
        [InlineData("web1:0")]
        [InlineData("web1:70000")]
        [InlineData("@web1")]
        [InlineData("ops@")]
        public void A_host_name_that_names_no_host_or_port_is_refused(string given)
        {
            var e = Assert.Throws<AgnoArgumentException>(() => new RemoteSettings().ParseHost(given, null));
            Assert.Contains($"'{given}'", e.Message);
        }

        [Fact]
        public void Targets_with_the_same_way_of_reaching_a_host_share_connections_whatever_their_idle_timeout()
        {
            SshTarget Target(TimeSpan idle, string key) => new SshTarget("web1", "ops", key, 22, null, new Hashtable { ["BatchMode"] = "no" }, idle);
            Assert.Equal(Target(TimeSpan.FromSeconds(1), "/k").PoolKey, Target(TimeSpan.FromMinutes(5), "/k").PoolKey);
            Assert.NotEqual(Target(TimeSpan.FromSeconds(1), "/k").PoolKey, Target(TimeSpan.FromSeconds(1), "/other").PoolKey);
        }
    }

    public class RemoteProtocolTests
    {
        [Fact]
        public void A_result_sent_back_keeps_its_types_and_removals_and_the_step_s_stop_of_the_run()
        {
            var root = new AgnoState(Agno.Values.PSValueCopier.Instance);
            root.Set("Gone", 1);
            var fork = root.Fork();
            fork.Remove("Gone");
            var bag = new PSObject();
            bag.Properties.Add(new PSNoteProperty("Name", "web1"));
            fork.Set("List", new List<int> { 1, 2 });
            fork.Set("Ordered", new System.Collections.Specialized.OrderedDictionary { ["b"] = 1, ["a"] = 2L });
            fork.Set("Bag", bag);
            fork.Set("When", new DateTime(2024, 3, 1, 10, 0, 0, DateTimeKind.Utc));
            var (delta, stopped, reason) = RemoteStepProtocol.DecodeResult(RemoteStepProtocol.EncodeResult(fork.GetDelta(), true, "done early"));

            Assert.IsType<List<int>>(Value(delta, "List"));
            var ordered = Assert.IsType<System.Collections.Specialized.OrderedDictionary>(Value(delta, "Ordered"));
            Assert.Equal(new object[] { "b", "a" }, ordered.Keys.Cast<object>());
            Assert.IsType<long>(ordered["a"]);
            Assert.Equal("web1", ((PSObject)Value(delta, "Bag")!).Properties["Name"].Value);
            Assert.Equal(DateTimeKind.Utc, ((DateTime)Value(delta, "When")!).Kind);
            Assert.Equal(new[] { "Gone" }, delta.RemovedKeys);
            Assert.True(stopped);
            Assert.Equal("done early", reason);
            Assert.False(RemoteStepProtocol.DecodeResult(RemoteStepProtocol.EncodeResult(StateDelta.Empty, false, null)).Stopped);
        }

        [Fact]
        public void A_value_that_cannot_be_sent_back_is_refused_naming_its_key()
        {
            var fork = new AgnoState().Fork();
            fork.Set("Fine", 1);
            fork.Set("Half", "a\uD800b"); // half a character: the state keeps it, the typed JSON cannot
            var e = Assert.Throws<AgnoArgumentException>(() => RemoteStepProtocol.EncodeResult(fork.GetDelta(), false, null));
            Assert.StartsWith("the value of key 'Half' cannot be sent back from where the step ran:", e.Message);
            Assert.Equal("Half", e.Target);
        }

        private static object? Value(StateDelta delta, string key) => delta.TryGetChange(key, out var change) ? change.Value : throw new KeyNotFoundException(key);
    }
}
