using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using Agno.Core;
using Agno.Hosting;

namespace Agno.Commands
{
    /// <summary>
    /// Tab-completes -Key and -LiteralKey with the keys of the session given with -Session, or of the
    /// current session. Where -Key takes wildcards (Get-AgnoState, Remove-AgnoState) a key holding
    /// wildcard characters is escaped; a key holding anything the parser would read is quoted.
    /// </summary>
    public sealed class KeyCompleter : IArgumentCompleter
    {
        /// <inheritdoc/>
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var given = fakeBoundParameters["Session"];
            var session = (given is PSObject pso ? pso.BaseObject : given) as AgnoSession ?? SessionRegistry.Resolve();
            if (session == null) return Enumerable.Empty<CompletionResult>();
            bool wildcards = string.Equals(parameterName, "Key", StringComparison.OrdinalIgnoreCase)
                && !string.Equals(commandName, "Set-AgnoState", StringComparison.OrdinalIgnoreCase);
            var typed = Unquote(wordToComplete ?? "");
            if (wildcards) typed = WildcardPattern.Unescape(typed);
            return session.State.Keys
                .Where(k => k.StartsWith(typed, StringComparison.OrdinalIgnoreCase))
                .Select(k => new CompletionResult(Quote(wildcards ? WildcardPattern.Escape(k) : k), k, CompletionResultType.ParameterValue, k));
        }

        private static string Unquote(string word)
        {
            if (word.Length > 0 && (word[0] == '\'' || word[0] == '"'))
            {
                word = word.Substring(1);
                if (word.Length > 0 && word[word.Length - 1] == word[0]) word = word.Substring(0, word.Length - 1);
            }
            return word.Replace("''", "'");
        }

        private static string Quote(string key) =>
            key.Any(c => char.IsWhiteSpace(c) || "'\"$`;,(){}[]@#|&<>".IndexOf(c) >= 0) ? "'" + key.Replace("'", "''") + "'" : key;
    }
}
