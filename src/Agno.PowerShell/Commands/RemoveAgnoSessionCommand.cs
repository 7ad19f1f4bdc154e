using System;
using System.Management.Automation;
using Agno.Core;
using Agno.Hosting;

namespace Agno.Commands
{
    /// <summary>Remove-AgnoSession: deletes sessions (state and run history) from a store.</summary>
    [Cmdlet(VerbsCommon.Remove, "AgnoSession", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(void))]
    public sealed class RemoveAgnoSessionCommand : PSCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string[] SessionId { get; set; } = Array.Empty<string>();

        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string Store { get; set; } = "";

        protected override void ProcessRecord()
        {
            ISessionStore store;
            try
            {
                store = StoreCache.Resolve(this, Store, StoreCreation.None)!;
            }
            catch (Exception e) when (e is AgnoException || e is ArgumentException)
            {
                ThrowTerminatingError(AgnoErrors.FromException(e));
                return;
            }
            foreach (var id in SessionId)
            {
                if (!ShouldProcess($"session '{id}' in {store.Location}", "Remove")) continue;
                if (!store.RemoveSession(id))
                {
                    WriteError(AgnoErrors.FromException(new AgnoCommandException("AgnoSessionNotFound",
                        $"Store '{store.Location}' has no session '{id}'.", AgnoErrorKind.NotFound, id)));
                }
            }
        }
    }
}
