using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using Agno.Values;

namespace Agno.Hosting
{
    /// <summary>
    /// A step's code and what it takes from the caller, captured when the step is made: the script
    /// text (with each <c>$using:name</c> turned into a variable holding a copy of the caller's value),
    /// the original scriptblock (run as-is only under -Isolation Inline), arguments, and the functions,
    /// modules and variables named with -Function, -Module and -Variable.
    /// </summary>
    internal sealed class StepScript
    {
        // Variables a step has its own of (automatic ones) or that every step is given (preferences):
        // -Variable with a wildcard skips them; naming one is an error.
        private static readonly HashSet<string> NotCopied = new HashSet<string>(new[]
        {
            "$", "?", "^", "_", "args", "ConsoleFileName", "Error", "Event", "EventArgs", "EventSubscriber", "ExecutionContext",
            "false", "foreach", "HOME", "Host", "input", "IsCoreCLR", "IsLinux", "IsMacOS", "IsWindows", "LASTEXITCODE", "Matches",
            "MyInvocation", "NestedPromptLevel", "null", "PID", "PROFILE", "PSBoundParameters", "PSCmdlet", "PSCommandPath", "PSCulture",
            "PSDebugContext", "PSEdition", "PSHOME", "PSItem", "PSScriptRoot", "PSSenderInfo", "PSUICulture", "PSVersionTable", "PWD",
            "Sender", "ShellId", "StackTrace", "switch", "this", "true", "AgnoSession",
        }.Concat(CallerContext.PreferenceNames), StringComparer.OrdinalIgnoreCase);

        private StepScript(ScriptBlock original, string text, bool hasUsing)
        {
            Original = original;
            Text = text;
            HasUsing = hasUsing;
        }

        /// <summary>The scriptblock as given (run as it is only under -Isolation Inline, when it has no $using:).</summary>
        public ScriptBlock Original { get; }

        /// <summary>
        /// The code to recreate in the runspace that runs it, with $using: rewritten, and padded so that
        /// its line and column numbers are those of the scriptblock in its file.
        /// </summary>
        public string Text { get; }

        /// <summary>The file the scriptblock was written in, if any: the step's $PSScriptRoot and $PSCommandPath.</summary>
        public string? File => Original.File;

        public bool HasUsing { get; }
        public object?[] Arguments { get; private set; } = Array.Empty<object?>();
        public Dictionary<string, object?> Variables { get; } = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        public Dictionary<string, string> Functions { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        public List<string> Modules { get; } = new List<string>();

        /// <summary>Captures <paramref name="scriptBlock"/> and copies of what it takes from <paramref name="caller"/>'s scope.</summary>
        public static StepScript Capture(PSCmdlet caller, string stepName, ScriptBlock scriptBlock, object?[]? arguments = null,
            string[]? functions = null, string[]? modules = null, string[]? variables = null)
        {
            var (text, usings) = UsingRewriter.Rewrite(scriptBlock);
            var script = new StepScript(scriptBlock, text, usings.Count > 0);
            script.Arguments = arguments == null ? Array.Empty<object?>() : arguments.Select(a => Copy(stepName, "argument", a)).ToArray();

            for (int i = 0; i < usings.Count; i++)
            {
                var path = usings[i];
                object? value;
                if (path.IsDriveQualified)
                {
                    // $using:env:NAME and the like read the drive, as ForEach-Object -Parallel does ($null when missing).
                    value = caller.SessionState.PSVariable.GetValue(path.UserPath);
                }
                else
                {
                    var variable = caller.SessionState.PSVariable.Get(path.UserPath) ?? throw new ArgumentException(
                        $"Step '{stepName}' uses $using:{path.UserPath}, but the caller has no variable '{path.UserPath}'. Define it before making the step.");
                    value = variable.Value;
                }
                script.Variables[UsingRewriter.Prefix + i] = Copy(stepName, "$using:" + path.UserPath, value);
            }
            foreach (var pattern in variables ?? Array.Empty<string>())
            {
                bool wildcard = WildcardPattern.ContainsWildcardCharacters(pattern);
                var found = caller.SessionState.InvokeProvider.Item.Get(new[] { "variable:" + pattern }, true, false)
                    .Select(o => o.BaseObject).OfType<PSVariable>().ToList();
                if (found.Count == 0 && !wildcard)
                {
                    throw new ArgumentException($"Step '{stepName}' asks for variable '{pattern}' (-Variable), but the caller has none by that name.");
                }
                foreach (var v in found)
                {
                    if (NotCopied.Contains(v.Name) || (v.Options & ScopedItemOptions.Constant) != 0)
                    {
                        if (!wildcard)
                        {
                            throw new ArgumentException(
                                $"Step '{stepName}' asks for variable '{v.Name}' (-Variable), but it is an automatic or preference variable: every step has its own. Copy its value into a variable of your own, or pass it with -ArgumentList.");
                        }
                        continue;
                    }
                    try
                    {
                        script.Variables[v.Name] = Copy(stepName, "variable " + v.Name, v.Value);
                    }
                    catch (ArgumentException e) when (wildcard)
                    {
                        caller.WriteVerbose($"Step '{stepName}', -Variable '{pattern}': variable '{v.Name}' was skipped: {e.Message}");
                    }
                }
            }
            foreach (var pattern in functions ?? Array.Empty<string>())
            {
                var found = caller.InvokeCommand.GetCommands(pattern, CommandTypes.Function | CommandTypes.Filter, nameIsPattern: true)
                    .OfType<FunctionInfo>().ToList();
                if (found.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(pattern))
                {
                    throw new ArgumentException($"Step '{stepName}' asks for function '{pattern}' (-Function), but the caller has none by that name.");
                }
                foreach (var f in found) script.Functions[f.Name] = f.Definition;
            }
            foreach (var name in modules ?? Array.Empty<string>())
            {
                script.Modules.AddRange(ModulesToImport(caller, stepName, name));
            }
            return script;
        }

        /// <summary>What a step's runspace imports for -Module: a path as a full path, loaded modules matching a name as their paths, else the name.</summary>
        private static IEnumerable<string> ModulesToImport(PSCmdlet caller, string stepName, string name)
        {
            bool isPath = name.IndexOfAny(new[] { '/', '\\' }) >= 0 || name.EndsWith(".psd1", StringComparison.OrdinalIgnoreCase)
                || name.EndsWith(".psm1", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
            if (isPath)
            {
                var path = caller.SessionState.Path.GetUnresolvedProviderPathFromPSPath(name);
                if (!System.IO.File.Exists(path) && !System.IO.Directory.Exists(path))
                {
                    throw new ArgumentException($"Step '{stepName}' asks for module '{name}' (-Module), but there is no file or folder at '{path}'.");
                }
                return new[] { path };
            }
            var loaded = caller.InvokeCommand.InvokeScript("Get-Module -Name $args[0]", name).Select(o => o.BaseObject).OfType<PSModuleInfo>().Select(m => m.Path).ToList();
            if (loaded.Count > 0) return loaded;
            if (WildcardPattern.ContainsWildcardCharacters(name))
            {
                throw new ArgumentException($"Step '{stepName}' asks for modules '{name}' (-Module), but no loaded module matches it. Import them first, or name them.");
            }
            return new[] { name };
        }

        private static object? Copy(string stepName, string what, object? value)
        {
            try
            {
                return PSValueCopier.Instance.Copy(value);
            }
            catch (Agno.Core.ValueRefusedException e)
            {
                throw new ArgumentException($"Step '{stepName}' cannot take {what}: {e.Reason}", e);
            }
        }

        /// <summary>Copies of the captured variables and arguments for one run, so that branches never share them.</summary>
        public (Hashtable Variables, object?[] Arguments) CopiesForRun()
        {
            var copier = PSValueCopier.Instance;
            var variables = new Hashtable(StringComparer.OrdinalIgnoreCase);
            foreach (var entry in Variables) variables[entry.Key] = copier.Copy(entry.Value);
            return (variables, Arguments.Select(a => copier.Copy(a)).ToArray());
        }
    }
}
