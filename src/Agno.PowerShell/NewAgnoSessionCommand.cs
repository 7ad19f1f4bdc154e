using System;
using System.Collections;
using System.Management.Automation;
using Agno.Core;

namespace Agno.PowerShell
{
    /// <summary>New-AgnoSession: a session with its own state; it becomes the current session of this runspace.</summary>
    [Cmdlet(VerbsCommon.New, "AgnoSession")]
    [OutputType(typeof(AgnoSession))]
    public sealed class NewAgnoSessionCommand : PSCmdlet
    {
        [Parameter(Position = 0)]
        [ValidateNotNullOrEmpty]
        public string? SessionId { get; set; }

        [Parameter]
        public string? UserId { get; set; }

        [Parameter]
        public object? Input { get; set; }

        [Parameter]
        public IDictionary? State { get; set; }

        protected override void EndProcessing()
        {
            try
            {
                var state = State == null ? new Agno.Core.SessionState(PSValueCopier.Instance) : new Agno.Core.SessionState(State, PSValueCopier.Instance);
                var session = AgnoSession.Create(PSValueCopier.Instance.Copy(Input), SessionId, UserId, state);
                SessionRegistry.SetCurrent(session);
                WriteObject(session);
            }
            catch (Exception e) when (e is AgnoException || e is ArgumentException)
            {
                ThrowTerminatingError(AgnoErrors.FromException(e));
            }
        }
    }
}
