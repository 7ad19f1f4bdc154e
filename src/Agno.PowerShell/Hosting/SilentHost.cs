using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;

namespace Agno.Hosting
{
    /// <summary>
    /// The host a step in a user's PSSession runs with. That session was opened with the caller's host,
    /// and its far side would print the step's warnings, verbose, debug, information and Write-Host on
    /// the caller's console by itself, beside the records Agno forwards tagged: this host's UI writes
    /// nothing, and asks nothing (a step has no one to answer). It has a UI at all because PowerShell
    /// calls a host without one as if it had none only when there is no host, and otherwise fails the
    /// pipeline on the first call (exit calls SetShouldExit).
    /// </summary>
    internal sealed class SilentHost : PSHost
    {
        public static SilentHost Instance { get; } = new SilentHost();

        private readonly CultureInfo _culture = CultureInfo.CurrentCulture;
        private readonly CultureInfo _uiCulture = CultureInfo.CurrentUICulture;

        public override string Name => "Agno";
        public override Version Version { get; } = typeof(SilentHost).Assembly.GetName().Version ?? new Version(0, 0);
        public override Guid InstanceId { get; } = Guid.NewGuid();
        public override PSHostUserInterface UI { get; } = new SilentUserInterface();
        public override CultureInfo CurrentCulture => _culture;
        public override CultureInfo CurrentUICulture => _uiCulture;

        public override void EnterNestedPrompt() => throw NoOneToAsk();
        public override void ExitNestedPrompt() => throw NoOneToAsk();
        public override void NotifyBeginApplication() { }
        public override void NotifyEndApplication() { }

        /// <summary>A step's exit is not the caller's: the step fails for it instead (see <see cref="StepOutput.CalledExit"/>).</summary>
        public override void SetShouldExit(int exitCode) { }

        private static NotSupportedException NoOneToAsk() => new NotSupportedException("An Agno step runs unattended: there is no one to answer a prompt.");

        /// <summary>Writes go nowhere (they reach the caller as records); reads and prompts fail.</summary>
        private sealed class SilentUserInterface : PSHostUserInterface
        {
            public override PSHostRawUserInterface? RawUI => null;
            public override string ReadLine() => throw NoOneToAsk();
            public override SecureString ReadLineAsSecureString() => throw NoOneToAsk();
            public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions) => throw NoOneToAsk();
            public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) => throw NoOneToAsk();
            public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName, PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options) => throw NoOneToAsk();
            public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice) => throw NoOneToAsk();
            public override void Write(string value) { }
            public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) { }
            public override void WriteLine(string value) { }
            public override void WriteErrorLine(string value) { }
            public override void WriteDebugLine(string message) { }
            public override void WriteProgress(long sourceId, ProgressRecord record) { }
            public override void WriteVerboseLine(string message) { }
            public override void WriteWarningLine(string message) { }
        }
    }
}
