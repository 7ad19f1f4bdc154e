using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using Agno.Core;
using Agno.Hosting;

namespace Agno.Commands
{
    /// <summary>Tab-completes -Key with the keys of the session given with -Session, or of the current session.</summary>
    public sealed class KeyCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var given = fakeBoundParameters["Session"];
            var session = (given is PSObject pso ? pso.BaseObject : given) as AgnoSession ?? SessionRegistry.Resolve();
            if (session == null) return Enumerable.Empty<CompletionResult>();
            var typed = (wordToComplete ?? "").Trim('\'', '"');
            var pattern = new WildcardPattern(typed + "*", WildcardOptions.IgnoreCase);
            return session.State.Keys
                .Where(k => pattern.IsMatch(k))
                .Select(k => new CompletionResult(Quote(k), k, CompletionResultType.ParameterValue, k));
        }

        private static string Quote(string key) =>
            key.Any(c => char.IsWhiteSpace(c) || "'\"$`;,(){}[]@#|&<>".IndexOf(c) >= 0) ? "'" + key.Replace("'", "''") + "'" : key;
    }
}
