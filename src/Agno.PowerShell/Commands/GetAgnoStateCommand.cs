using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Agno.Core;
using Agno.Hosting;

namespace Agno.Commands
{
    /// <summary>
    /// Get-AgnoState: one key gives a copy of its value (a collection enumerated, as other cmdlets
    /// write collections, unless -NoEnumerate); wildcards, several keys or none give the matching
    /// entries, or with -AsHashtable one hashtable of them. A missing key is a non-terminating
    /// ObjectNotFound error. Keys come from the pipeline too (<c>'a', 'b' | Get-AgnoState</c>).
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "AgnoState", DefaultParameterSetName = ParameterSets.Key)]
    [OutputType(typeof(object), typeof(AgnoStateEntry), typeof(Hashtable))]
    public sealed class GetAgnoStateCommand : AgnoCmdlet
    {
        [Parameter(ValueFromPipeline = true)]
        public AgnoSession? Session { get; set; }

        [Parameter(Position = 0, ParameterSetName = ParameterSets.Key, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(KeyCompleter))]
        [ValidateNotNullOrEmpty]
        [SupportsWildcards]
        public string[]? Key { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = ParameterSets.LiteralKey, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(KeyCompleter))]
        [ValidateNotNullOrEmpty]
        public string[] LiteralKey { get; set; } = Array.Empty<string>();

        [Parameter]
        public SwitchParameter AsHashtable { get; set; }

        [Parameter]
        public SwitchParameter NoEnumerate { get; set; }

        // A stored session's read can fail too (its store deleted or replaced): reported for this input, as a missing key is.
        protected override void ProcessRecord() => ForItem(Process);

        private void Process()
        {
            var state = SessionRegistry.Require(this, Session).State;
            bool literal = ParameterSetName == ParameterSets.LiteralKey;
            var given = literal ? LiteralKey : Key;
            var selections = new List<KeySelector.Selection>();
            foreach (var name in given ?? new[] { "*" })
            {
                // A key that is not a key at all (empty, white space) is one bad item: reported, and the others go on.
                ForItem(() => selections.Add(KeySelector.Select(state, name, literal)));
            }
            foreach (var missing in selections.Where(s => !s.IsPattern && s.Matches.Count == 0))
            {
                WriteError(AgnoErrors.FromException(new StateKeyNotFoundException(missing.Name)));
            }

            bool oneKeyNamed = given != null && given.Length == 1 && !(selections.Count == 1 && selections[0].IsPattern);
            if (oneKeyNamed && !AsHashtable)
            {
                if (selections.Count == 1 && selections[0].Matches.Count == 1 && state.TryGet(selections[0].Name, out var value))
                {
                    WriteObject(value, enumerateCollection: !NoEnumerate);
                }
                return;
            }

            var stored = state.Keys.ToDictionary(k => k, k => k, StringComparer.OrdinalIgnoreCase);
            var entries = new List<AgnoStateEntry>();
            foreach (var key in selections.SelectMany(s => s.Matches).Distinct(StringComparer.OrdinalIgnoreCase))
            {
                if (stored.TryGetValue(key, out var name) && state.TryGet(name, out var value)) entries.Add(new AgnoStateEntry(name, value));
            }
            if (AsHashtable)
            {
                var table = new Hashtable(StringComparer.OrdinalIgnoreCase);
                foreach (var entry in entries) table[entry.Key] = entry.Value;
                WriteObject(table);
            }
            else
            {
                foreach (var entry in entries) WriteObject(entry);
            }
        }
    }
}
