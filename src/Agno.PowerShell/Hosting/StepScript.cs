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
        internal const string UsingPrefix = "__agnoUsing_";

        private StepScript(ScriptBlock original, string text, bool hasUsing)
        {
            Original = original;
            Text = text;
            HasUsing = hasUsing;
        }

        public ScriptBlock Original { get; }

        /// <summary>The code to recreate in the runspace that runs it, with $using: rewritten.</summary>
        public string Text { get; }
        public bool HasUsing { get; }
        public object?[] Arguments { get; private set; } = Array.Empty<object?>();
        public Dictionary<string, object?> Variables { get; } = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        public Dictionary<string, string> Functions { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        public List<string> Modules { get; } = new List<string>();

        /// <summary>Captures <paramref name="scriptBlock"/> and copies of what it takes from <paramref name="caller"/>'s scope.</summary>
        public static StepScript Capture(PSCmdlet caller, string stepName, ScriptBlock scriptBlock, object?[]? arguments = null,
            string[]? functions = null, string[]? modules = null, string[]? variables = null)
        {
            var (text, usingNames) = RewriteUsing(scriptBlock);
            var script = new StepScript(scriptBlock, text, usingNames.Count > 0);
            var copier = PSValueCopier.Instance;
            script.Arguments = arguments == null ? Array.Empty<object?>() : arguments.Select(a => Copy(stepName, "argument", a)).ToArray();

            foreach (var name in usingNames)
            {
                var variable = caller.SessionState.PSVariable.Get(name);
                if (variable == null)
                {
                    throw new ArgumentException(
                        $"Step '{stepName}' uses $using:{name}, but the caller has no variable '{name}'. Define it before making the step.");
                }
                script.Variables[UsingPrefix + name] = Copy(stepName, "$using:" + name, variable.Value);
            }
            foreach (var pattern in variables ?? Array.Empty<string>())
            {
                var found = caller.SessionState.InvokeProvider.Item.Get(new[] { "variable:" + pattern }, true, false)
                    .Select(o => o.BaseObject).OfType<PSVariable>().ToList();
                if (found.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(pattern))
                {
                    throw new ArgumentException($"Step '{stepName}' asks for variable '{pattern}' (-Variable), but the caller has none by that name.");
                }
                foreach (var v in found) script.Variables[v.Name] = Copy(stepName, "variable " + v.Name, v.Value);
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

        /// <summary>The scriptblock's text with every <c>$using:name</c> replaced by <c>$__agnoUsing_name</c>, and the names.</summary>
        private static (string Text, List<string> Names) RewriteUsing(ScriptBlock scriptBlock)
        {
            // A function's scriptblock (${function:name}) is its definition: the code is its body.
            var ast = scriptBlock.Ast is FunctionDefinitionAst function ? function.Body : scriptBlock.Ast;
            // Each $using:name variable (also inside $using:name.Property or $using:name[0]).
            var usings = ast.FindAll(a => a is UsingExpressionAst, searchNestedScriptBlocks: true)
                .Select(u => u.FindAll(v => v is VariableExpressionAst, searchNestedScriptBlocks: false)
                    .Cast<VariableExpressionAst>().OrderBy(v => v.Extent.StartOffset).First())
                .Distinct().ToList();
            var text = ast.Extent.Text;
            int origin = ast.Extent.StartOffset;
            var names = new List<string>();
            foreach (var u in usings.OrderByDescending(u => u.Extent.StartOffset))
            {
                var name = u.VariablePath.UserPath;
                if (!names.Contains(name, StringComparer.OrdinalIgnoreCase)) names.Add(name);
                var escaped = (UsingPrefix + name).Replace("`", "``").Replace("}", "`}").Replace("{", "`{");
                text = text.Substring(0, u.Extent.StartOffset - origin) + "${" + escaped + "}" + text.Substring(u.Extent.EndOffset - origin);
            }
            // A scriptblock literal's extent includes its braces; the code to recreate is what is between them.
            if ((ast.Parent is ScriptBlockExpressionAst || ast.Parent is FunctionDefinitionAst) && text.StartsWith("{") && text.EndsWith("}"))
            {
                text = text.Substring(1, text.Length - 2);
            }
            return (text, names);
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
