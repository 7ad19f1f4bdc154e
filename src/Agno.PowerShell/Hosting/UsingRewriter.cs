using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace Agno.Hosting
{
    /// <summary>
    /// Turns a step's scriptblock into the code its runspace runs: each <c>$using:</c> that belongs to the
    /// step becomes a variable holding a copy of the caller's value (as ForEach-Object -Parallel does);
    /// a <c>$using:</c> inside a scriptblock given to a command that resolves $using: itself
    /// (ForEach-Object -Parallel, Start-ThreadJob, Start-Job, Invoke-Command, Agno's own cmdlets) is left
    /// to that command.
    /// </summary>
    internal static class UsingRewriter
    {
        /// <summary>The variable <c>$using:</c> number i becomes: <c>$__agnoUsing{i}</c>.</summary>
        public const string Prefix = "__agnoUsing";

        // A $using: inside a scriptblock given to one of these belongs to that scriptblock (it runs
        // elsewhere and resolves its own $using:), not to the step: it is left as it is.
        private static readonly HashSet<string> OwnUsingScope = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            "Start-ThreadJob", "Start-Job", "Invoke-Command", "icm", "sajb",
        };

        /// <summary>
        /// The scriptblock's code with each <c>$using:</c> variable that belongs to the step replaced by
        /// <c>$__agnoUsing{i}</c>, padded to its position in its file, and the variables, by i.
        /// </summary>
        public static (string Text, List<VariablePath> Usings) Rewrite(ScriptBlock scriptBlock)
        {
            // A function's scriptblock (${function:name}) is its definition: the code is its body.
            var ast = scriptBlock.Ast is FunctionDefinitionAst function ? function.Body : scriptBlock.Ast;
            // Each $using:name variable (also inside $using:name.Property or $using:name[0]).
            var usings = ast.FindAll(a => a is UsingExpressionAst u && BelongsToStep(u, ast), searchNestedScriptBlocks: true)
                .Select(u => u.FindAll(v => v is VariableExpressionAst, searchNestedScriptBlocks: false)
                    .Cast<VariableExpressionAst>().OrderBy(v => v.Extent.StartOffset).First())
                .Distinct().ToList();
            var text = ast.Extent.Text;
            int origin = ast.Extent.StartOffset;
            // Numbered in the order they appear; replaced from the end, so that earlier offsets stay right.
            var paths = new List<VariablePath>();
            var indexes = new Dictionary<VariableExpressionAst, int>();
            foreach (var u in usings.OrderBy(u => u.Extent.StartOffset))
            {
                int index = paths.FindIndex(p => string.Equals(p.UserPath, u.VariablePath.UserPath, StringComparison.OrdinalIgnoreCase));
                if (index < 0)
                {
                    index = paths.Count;
                    paths.Add(u.VariablePath);
                }
                indexes[u] = index;
            }
            foreach (var u in usings.OrderByDescending(u => u.Extent.StartOffset))
            {
                text = text.Substring(0, u.Extent.StartOffset - origin) + "$" + Prefix + indexes[u] + text.Substring(u.Extent.EndOffset - origin);
            }
            int line = ast.Extent.StartLineNumber, column = ast.Extent.StartColumnNumber;
            // A scriptblock literal's extent includes its braces; the code to recreate is what is between them.
            if ((ast.Parent is ScriptBlockExpressionAst || ast.Parent is FunctionDefinitionAst) && text.StartsWith("{") && text.EndsWith("}"))
            {
                text = text.Substring(1, text.Length - 2);
                column++;
            }
            // Padding keeps the lines and columns of the file, so errors point at the right line.
            return (new string('\n', line - 1) + new string(' ', column - 1) + text, paths);
        }

        /// <summary>False for a $using: inside a scriptblock passed to a command that resolves $using: itself.</summary>
        private static bool BelongsToStep(UsingExpressionAst usingAst, Ast root)
        {
            for (var node = usingAst.Parent; node != null && node != root; node = node.Parent)
            {
                if (!(node is ScriptBlockExpressionAst block)) continue;
                var command = block.Parent as CommandAst ?? (block.Parent as CommandParameterAst)?.Parent as CommandAst;
                if (command != null && HasOwnUsingScope(command)) return false;
            }
            return true;
        }

        private static bool HasOwnUsingScope(CommandAst command)
        {
            var name = command.GetCommandName();
            if (name == null) return false;
            name = name.Substring(name.LastIndexOf('\\') + 1); // Module\Command names the command too
            if (OwnUsingScope.Contains(name) || name.IndexOf("-Agno", StringComparison.OrdinalIgnoreCase) >= 0) return true;
            bool forEach = string.Equals(name, "ForEach-Object", StringComparison.OrdinalIgnoreCase) || name == "%"
                || string.Equals(name, "foreach", StringComparison.OrdinalIgnoreCase);
            return forEach && command.CommandElements.OfType<CommandParameterAst>()
                .Any(p => p.ParameterName.Length >= 2 && "Parallel".StartsWith(p.ParameterName, StringComparison.OrdinalIgnoreCase));
        }
    }
}
