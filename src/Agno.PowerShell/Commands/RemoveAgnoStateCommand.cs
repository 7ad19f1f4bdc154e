using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System;
using Agno.Core;
using Agno.Hosting;

namespace Agno.Commands
{
    /// <summary>Remove-AgnoState: removes keys (wildcards allowed), all at once; a missing key is a non-terminating ObjectNotFound error.</summary>
    [Cmdlet(VerbsCommon.Remove, "AgnoState", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(void))]
    public sealed class RemoveAgnoStateCommand : PSCmdlet
    {
        [Parameter(ValueFromPipeline = true)]
        public AgnoSession? Session { get; set; }

        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(KeyCompleter))]
        [ValidateNotNullOrEmpty]
        [SupportsWildcards]
        public string[] Key { get; set; } = Array.Empty<string>();

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
            var keys = session.State.Keys;
            var targets = new List<string>();
            foreach (var pattern in Key)
            {
                if (WildcardPattern.ContainsWildcardCharacters(pattern))
                {
                    var wildcard = new WildcardPattern(pattern, WildcardOptions.IgnoreCase);
                    targets.AddRange(keys.Where(k => wildcard.IsMatch(k)));
                }
                else if (session.State.ContainsKey(pattern))
                {
                    targets.Add(pattern);
                }
                else
                {
                    WriteError(AgnoErrors.FromException(new StateKeyNotFoundException(pattern)));
                }
            }
            targets = targets.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            if (targets.Count == 0) return;
            if (!ShouldProcess($"{string.Join(", ", targets.Select(k => "'" + k + "'"))} of session {session.SessionId}", "Remove")) return;
            // All at once: removed on a fork, then committed as one change.
            var fork = session.State.Fork();
            foreach (var key in targets) fork.Remove(key);
            session.State.Apply(fork.GetDelta());
        }
    }
}
