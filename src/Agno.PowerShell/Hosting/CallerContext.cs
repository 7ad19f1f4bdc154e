using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;

namespace Agno.Hosting
{
    /// <summary>
    /// What steps inherit from the command that runs them (Invoke-AgnoWorkflow, Invoke-AgnoParallel):
    /// its preferences, with its -Verbose, -ErrorAction... applied; its file-system location; and the
    /// path of the script it was called from. Captured once per invocation, on the pipeline thread.
    /// </summary>
    internal sealed class CallerContext
    {
        /// <summary>The preference variables every step is given (so none can leak from one step to the next).</summary>
        public static readonly IReadOnlyList<string> PreferenceNames = new[]
        {
            "VerbosePreference", "DebugPreference", "ErrorActionPreference", "WarningPreference", "InformationPreference",
            "ProgressPreference", "ConfirmPreference", "WhatIfPreference",
        };

        private static readonly (string Parameter, string Variable)[] ActionParameters =
        {
            ("ErrorAction", "ErrorActionPreference"), ("WarningAction", "WarningPreference"),
            ("InformationAction", "InformationPreference"), ("ProgressAction", "ProgressPreference"),
        };

        private CallerContext(Hashtable preferences, ActionPreference progress, string? location, string? scriptPath)
        {
            StepPreferences = preferences;
            Progress = progress;
            Location = location;
            ScriptPath = scriptPath;
        }

        /// <summary>The preference variables' values for the steps to run under (see <see cref="Capture"/>).</summary>
        public Hashtable StepPreferences { get; }

        /// <summary>The caller's own progress preference: SilentlyContinue turns Agno's progress bars off.</summary>
        public ActionPreference Progress { get; }

        /// <summary>The caller's current file-system location: every step starts there.</summary>
        public string? Location { get; }

        /// <summary>The script the command was called from, if any: a step's $PSCommandPath unless its scriptblock has a file of its own.</summary>
        public string? ScriptPath { get; }

        /// <summary>
        /// Reads the caller's preferences. Inside a step they differ in four ways, each so that nothing a
        /// step does is lost or blocks: errors run under Stop or Continue (under SilentlyContinue or
        /// Ignore a throw would be skipped and half a step committed); warnings and information run under
        /// Stop or Continue, so that they reach the caller, whose own preference then decides what is
        /// shown and what -WarningVariable and -InformationVariable get, as for an advanced function;
        /// Inquire becomes Continue and ConfirmPreference None (a step has no one to ask).
        /// </summary>
        public static CallerContext Capture(PSCmdlet cmdlet)
        {
            var variables = cmdlet.SessionState.PSVariable;
            var actions = new Dictionary<string, ActionPreference>(StringComparer.OrdinalIgnoreCase);
            foreach (var name in PreferenceNames)
            {
                // A script may hold a preference as a string ($ErrorActionPreference = 'Stop'): it means the same.
                if (LanguagePrimitives.TryConvertTo<ActionPreference>(variables.GetValue(name), out var action)) actions[name] = action;
            }
            var bound = cmdlet.MyInvocation.BoundParameters;
            if (bound.TryGetValue("Verbose", out var verbose)) actions["VerbosePreference"] = IsSet(verbose) ? ActionPreference.Continue : ActionPreference.SilentlyContinue;
            if (bound.TryGetValue("Debug", out var debug)) actions["DebugPreference"] = IsSet(debug) ? ActionPreference.Continue : ActionPreference.SilentlyContinue;
            foreach (var (parameter, variable) in ActionParameters)
            {
                if (bound.TryGetValue(parameter, out var given) && LanguagePrimitives.TryConvertTo<ActionPreference>(given, out var action)) actions[variable] = action;
            }

            var preferences = new Hashtable(StringComparer.OrdinalIgnoreCase);
            foreach (var name in new[] { "VerbosePreference", "DebugPreference", "ProgressPreference" })
            {
                if (actions.TryGetValue(name, out var action)) preferences[name] = action == ActionPreference.Inquire ? ActionPreference.Continue : action;
            }
            preferences["ErrorActionPreference"] = actions.TryGetValue("ErrorActionPreference", out var errors) && errors == ActionPreference.Stop
                ? ActionPreference.Stop : ActionPreference.Continue;
            foreach (var name in new[] { "WarningPreference", "InformationPreference" })
            {
                preferences[name] = actions.TryGetValue(name, out var action) && action == ActionPreference.Stop ? ActionPreference.Stop : ActionPreference.Continue;
            }
            preferences["ConfirmPreference"] = ConfirmImpact.None;
            var whatIf = variables.GetValue("WhatIfPreference");
            if (whatIf != null) preferences["WhatIfPreference"] = whatIf;

            var progress = actions.TryGetValue("ProgressPreference", out var p) ? p : ActionPreference.Continue;
            var location = cmdlet.SessionState.Path.CurrentFileSystemLocation?.ProviderPath;
            var scriptPath = string.IsNullOrEmpty(cmdlet.MyInvocation.PSCommandPath) ? null : cmdlet.MyInvocation.PSCommandPath;
            return new CallerContext(preferences, progress, location, scriptPath);
        }

        private static bool IsSet(object? value) => value switch
        {
            SwitchParameter s => s.IsPresent,
            bool b => b,
            _ => value != null,
        };
    }
}
