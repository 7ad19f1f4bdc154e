using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Agno.Core;

namespace Agno.Commands
{
    /// <summary>
    /// How Get-AgnoState and Remove-AgnoState read a key they are given: a key that exists with exactly
    /// the given name always wins (so 'Disk[C]' names the key 'Disk[C]'); else a name with an unescaped
    /// wildcard (<c>* ? [ ]</c>) matches keys; else it names one key, its backtick escapes removed
    /// (<c>'a`*b'</c> is the key 'a*b'). A -LiteralKey is always exactly one key.
    /// </summary>
    internal static class KeySelector
    {
        /// <summary>What one given name selects: one key (Matches holds it when it exists), or the keys a pattern matches.</summary>
        internal sealed class Selection
        {
            public Selection(string name, bool isPattern, IReadOnlyList<string> matches)
            {
                Name = name;
                IsPattern = isPattern;
                Matches = matches;
            }

            /// <summary>The key named (escapes removed), or the pattern.</summary>
            public string Name { get; }
            public bool IsPattern { get; }

            /// <summary>The keys selected (a pattern's matches as stored; one key as given: keys compare case-insensitively).</summary>
            public IReadOnlyList<string> Matches { get; }
        }

        public static Selection Select(AgnoState state, string given, bool literal)
        {
            if (literal || !WildcardPattern.ContainsWildcardCharacters(given) || state.ContainsKey(given))
            {
                var name = literal || state.ContainsKey(given) ? given : WildcardPattern.Unescape(given);
                return new Selection(name, false, state.ContainsKey(name) ? new[] { name } : Array.Empty<string>());
            }
            var pattern = new WildcardPattern(given, WildcardOptions.IgnoreCase);
            return new Selection(given, true, state.Keys.Where(k => pattern.IsMatch(k)).ToList());
        }
    }
}
