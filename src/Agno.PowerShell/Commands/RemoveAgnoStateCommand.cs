using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Agno.Core;
using Agno.Hosting;

namespace Agno.Commands
{
    /// <summary>
    /// Remove-AgnoState: removes keys, all at once. -Key takes wildcards (a key that exists with exactly
    /// the given name always wins; backtick escapes are honoured); -LiteralKey never expands. A missing
    /// key is a non-terminating ObjectNotFound error. Keys come from the pipeline too.
    /// </summary>
    [Cmdlet(VerbsCommon.Remove, "AgnoState", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = ParameterSets.Key)]
    [OutputType(typeof(void))]
    public sealed class RemoveAgnoStateCommand : AgnoCmdlet
    {
        [Parameter(ValueFromPipeline = true)]
        public AgnoSession? Session { get; set; }

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = ParameterSets.Key, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(KeyCompleter))]
        [ValidateNotNullOrEmpty]
        [SupportsWildcards]
        public string[] Key { get; set; } = Array.Empty<string>();

        [Parameter(Mandatory = true, ParameterSetName = ParameterSets.LiteralKey, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(KeyCompleter))]
        [ValidateNotNullOrEmpty]
        public string[] LiteralKey { get; set; } = Array.Empty<string>();

        private protected override bool ChangesState => true;

        // A stored session's read can fail too (its store deleted or replaced): reported as any failed removal is.
        protected override void ProcessRecord() => ForItem(Process);

        private void Process()
        {
            var session = SessionRegistry.Require(this, Session);
            bool literal = ParameterSetName == ParameterSets.LiteralKey;
            var selections = new List<KeySelector.Selection>();
            foreach (var name in literal ? LiteralKey : Key)
            {
                // A key that is not a key at all (empty, white space) is one bad item: reported, and the others go on.
                ForItem(() => selections.Add(KeySelector.Select(session.State, name, literal)));
            }
            foreach (var missing in selections.Where(s => !s.IsPattern && s.Matches.Count == 0))
            {
                // Nothing is lost by removing what is not there: this one stays non-terminating, in a step too.
                WriteError(AgnoErrors.FromException(new StateKeyNotFoundException(missing.Name)));
            }
            var targets = selections.SelectMany(s => s.Matches).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            if (targets.Count == 0) return;
            if (!ShouldChange($"{string.Join(", ", targets.Select(k => "'" + k + "'"))} of session {session.SessionId}", "Remove")) return;
            StateCommit? commit = null;
            try
            {
                // All at once, as one change, from what this process last read.
                commit = session.State.Change(state =>
                {
                    foreach (var key in targets) state.Remove(key);
                });
            }
            catch (StoreConflictException refused)
            {
                StoreWarnings.Write(this, refused.Conflicts);
                throw;
            }
            // A stored session's commit that met another process's change to a key says so.
            StoreWarnings.Write(this, commit?.Conflicts);
        }
    }
}
