using System;
using System.Linq;
using System.Management.Automation;
using Agno.Core;
using Agno.Hosting;

namespace Agno.Commands
{
    /// <summary>Get-AgnoSession: the sessions in a store: id, user, key count, created, updated, last run status.</summary>
    [Cmdlet(VerbsCommon.Get, "AgnoSession")]
    [OutputType(typeof(SessionInfo))]
    public sealed class GetAgnoSessionCommand : PSCmdlet
    {
        [Parameter(Position = 0)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[]? SessionId { get; set; }

        [Parameter]
        public string? UserId { get; set; }

        [Parameter(Mandatory = true)]
        [ValidateNotNullOrEmpty]
        public string Store { get; set; } = "";

        protected override void EndProcessing()
        {
            try
            {
                var store = StoreCache.Resolve(this, Store, StoreCreation.None)!;
                var patterns = (SessionId ?? new[] { "*" }).Select(p => new WildcardPattern(p, WildcardOptions.IgnoreCase)).ToList();
                foreach (var info in store.ListSessions(UserId).Where(i => patterns.Any(p => p.IsMatch(i.SessionId))))
                {
                    WriteObject(info);
                }
            }
            catch (Exception e) when (e is AgnoException || e is ArgumentException)
            {
                ThrowTerminatingError(AgnoErrors.FromException(e));
            }
        }
    }
}
