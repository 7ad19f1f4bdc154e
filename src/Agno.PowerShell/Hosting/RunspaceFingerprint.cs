using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Reflection;

namespace Agno.Hosting
{
    /// <summary>
    /// What a step could leave behind in a runspace: the global variables (each variable and its
    /// value by identity), functions, aliases and drives (by identity, so a redefinition counts),
    /// and the loaded modules. (The location and the preference variables are not in it: every step
    /// sets them before it runs.) Read from PowerShell's session state directly, in microseconds; where
    /// that is not possible (another PowerShell), through a script (which cannot see variables: those
    /// are then always reset).
    /// </summary>
    internal sealed class RunspaceFingerprint
    {
        private const BindingFlags Any = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
        private const string Script =
            "'{0}|{1}|{2}|{3}' -f @(Get-ChildItem function:).Count, @(Get-ChildItem alias:).Count, @(Get-Module).Count, @(Get-PSDrive).Count";

        private static readonly Lazy<Func<Runspace, object[]>?> Reader = new Lazy<Func<Runspace, object[]>?>(BuildReader);

        private readonly object[] _variables;
        private readonly object[] _rest;

        private RunspaceFingerprint(object[] variables, object[] rest)
        {
            _variables = variables;
            _rest = rest;
        }

        /// <summary>True when this PowerShell's session state can be read directly (the fast path); a test holds it to that.</summary>
        public static bool ReadsSessionStateDirectly => Reader.Value != null;

        public static RunspaceFingerprint Take(Runspace runspace)
        {
            var parts = Reader.Value?.Invoke(runspace);
            if (parts == null) return new RunspaceFingerprint(new object[0], new object[] { ScriptFingerprint(runspace) });
            return new RunspaceFingerprint((object[])parts[0], parts.Skip(1).ToArray());
        }

        /// <summary>Nothing changed at all.</summary>
        public bool Matches(RunspaceFingerprint baseline) => Same(_variables, baseline._variables) && AllSame(_rest, baseline._rest);

        /// <summary>Nothing but variables changed (which ResetRunspaceState puts back).</summary>
        public bool MatchesApartFromVariables(RunspaceFingerprint baseline) => AllSame(_rest, baseline._rest);

        private static bool AllSame(object[] a, object[] b) => a.Length == b.Length && a.Zip(b, Same).All(x => x);

        private static bool Same(object a, object b) => a switch
        {
            object[] x => b is object[] y && x.Length == y.Length && x.Zip(y, ReferenceEquals).All(e => e),
            _ => Equals(a, b),
        };

        private static string ScriptFingerprint(Runspace runspace)
        {
            using var ps = System.Management.Automation.PowerShell.Create();
            ps.Runspace = runspace;
            return ps.AddScript(Script).Invoke().FirstOrDefault()?.ToString() ?? "";
        }

        /// <summary>Reads the global scope's tables by reflection; null when this PowerShell's internals differ.</summary>
        private static Func<Runspace, object[]>? BuildReader()
        {
            try
            {
                var contextProperty = typeof(Runspace).Assembly.GetType("System.Management.Automation.Runspaces.LocalRunspace")?.GetProperty("ExecutionContext", Any);
                var contextType = contextProperty?.PropertyType;
                var engineState = contextType?.GetProperty("EngineSessionState", Any);
                var stateType = engineState?.PropertyType;
                var globalScope = stateType?.GetProperty("GlobalScope", Any);
                var moduleTable = stateType?.GetProperty("ModuleTable", Any);
                var scopeType = globalScope?.PropertyType;
                var tables = new[] { "_variables", "_functions", "_alias", "_drives" }.Select(n => scopeType?.GetField(n, Any)).ToArray();
                if (contextProperty == null || engineState == null || globalScope == null || moduleTable == null || tables.Any(t => t == null)) return null;
                return runspace =>
                {
                    var state = engineState.GetValue(contextProperty.GetValue(runspace));
                    var scope = globalScope.GetValue(state);
                    var parts = tables.Select(t => (object)Values((IDictionary)t!.GetValue(scope)!)).ToList(); // variables first
                    parts.Add(((ICollection)moduleTable.GetValue(state)!).Count);
                    return parts.ToArray();
                };
            }
            catch (Exception e) when (e is AmbiguousMatchException || e is TargetException || e is InvalidCastException)
            {
                return null;
            }
        }

        /// <summary>
        /// Preference variables are set before every step, and so is the location ($PWD, a new object
        /// whenever it is set), so what a step left in them never reaches the next.
        /// </summary>
        private static readonly HashSet<string> SetBeforeEveryStep = new HashSet<string>(CallerContext.PreferenceNames.Concat(new[] { "PWD" }), StringComparer.OrdinalIgnoreCase);

        private static object[] Values(IDictionary table)
        {
            var values = new List<object>(table.Count * 2);
            foreach (DictionaryEntry entry in table)
            {
                if (entry.Value is PSVariable variable)
                {
                    if (SetBeforeEveryStep.Contains(variable.Name)) continue;
                    values.Add(variable);
                    values.Add(variable.Value ?? DBNull.Value);
                }
                else
                {
                    values.Add(entry.Value!);
                }
            }
            return values.ToArray();
        }
    }
}
