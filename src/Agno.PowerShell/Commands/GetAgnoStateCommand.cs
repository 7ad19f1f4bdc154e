using System.Collections.Generic;
using System.Collections;
using System.Linq;
using System.Management.Automation;
using System;
using Agno.Core;
using Agno.Hosting;

namespace Agno.Commands
{
    /// <summary>
    /// Get-AgnoState: one key gives a copy of its value, written as one object (a collection is not
    /// enumerated); wildcards, several keys or none give the matching entries, or with -AsHashtable
    /// one hashtable of them. A missing key is a non-terminating ObjectNotFound error.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "AgnoState")]
    [OutputType(typeof(object), typeof(AgnoStateEntry), typeof(Hashtable))]
    public sealed class GetAgnoStateCommand : PSCmdlet
    {
        [Parameter(ValueFromPipeline = true)]
        public AgnoSession? Session { get; set; }

        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(KeyCompleter))]
        [ValidateNotNullOrEmpty]
        [SupportsWildcards]
        public string[]? Key { get; set; }

        [Parameter]
        public SwitchParameter AsHashtable { get; set; }

        protected override void ProcessRecord()
        {
            try
            {
                Process();
            }
            catch (Exception e) when (e is ArgumentException || e is AgnoException) // a stored session's store can fail a read too
            {
                WriteError(AgnoErrors.FromException(e));
            }
        }

        private void Process()
        {
            var session = SessionRegistry.Require(this, Session);
            var state = session.State;
            bool single = Key != null && Key.Length == 1 && !WildcardPattern.ContainsWildcardCharacters(Key[0]);
            if (single && !AsHashtable)
            {
                if (state.TryGet(Key![0], out var value)) WriteObject(value, enumerateCollection: false);
                else WriteError(AgnoErrors.FromException(new StateKeyNotFoundException(Key[0])));
                return;
            }

            var matches = new List<AgnoStateEntry>();
            var all = state.GetAll();
            foreach (var pattern in Key ?? new[] { "*" })
            {
                if (WildcardPattern.ContainsWildcardCharacters(pattern))
                {
                    var wildcard = new WildcardPattern(pattern, WildcardOptions.IgnoreCase);
                    matches.AddRange(all.Where(e => wildcard.IsMatch(e.Key)).Select(e => new AgnoStateEntry(e.Key, e.Value)));
                }
                else if (all.TryGetValue(pattern, out var value))
                {
                    matches.Add(new AgnoStateEntry(all.Keys.First(k => string.Equals(k, pattern, StringComparison.OrdinalIgnoreCase)), value));
                }
                else
                {
                    WriteError(AgnoErrors.FromException(new StateKeyNotFoundException(pattern)));
                }
            }
            var distinct = matches.GroupBy(m => m.Key, StringComparer.OrdinalIgnoreCase).Select(g => g.First()).ToList();
            if (AsHashtable)
            {
                var table = new Hashtable(StringComparer.OrdinalIgnoreCase);
                foreach (var entry in distinct) table[entry.Key] = entry.Value;
                WriteObject(table);
            }
            else
            {
                foreach (var entry in distinct) WriteObject(entry);
            }
        }
    }
}
