using System;
using System.Globalization;
using System.Management.Automation.Host;

namespace Agno.Hosting
{
    /// <summary>
    /// The host a remote step's pipeline runs with: one without a UI. A user's PSSession was opened with
    /// the caller's host, and its far side would then also print the step's warnings, verbose, debug and
    /// information on the caller's console by itself, beside the records Agno forwards tagged.
    /// </summary>
    internal sealed class UiLessHost : PSHost
    {
        public static UiLessHost Instance { get; } = new UiLessHost();

        private readonly CultureInfo _culture = CultureInfo.CurrentCulture;
        private readonly CultureInfo _uiCulture = CultureInfo.CurrentUICulture;

        public override string Name => "Agno";
        public override Version Version { get; } = typeof(UiLessHost).Assembly.GetName().Version ?? new Version(0, 0);
        public override Guid InstanceId { get; } = Guid.NewGuid();
        public override PSHostUserInterface? UI => null;
        public override CultureInfo CurrentCulture => _culture;
        public override CultureInfo CurrentUICulture => _uiCulture;

        // A step has no one to ask and no prompt to nest: these are never reached through a pipeline without a UI.
        public override void EnterNestedPrompt() => throw new NotSupportedException("A remote Agno step has no prompt.");
        public override void ExitNestedPrompt() => throw new NotSupportedException("A remote Agno step has no prompt.");
        public override void NotifyBeginApplication() { }
        public override void NotifyEndApplication() { }
        public override void SetShouldExit(int exitCode) { }
    }
}
