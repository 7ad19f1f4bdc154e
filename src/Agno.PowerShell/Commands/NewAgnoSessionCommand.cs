using System;
using System.Collections;
using System.Management.Automation;
using Agno.Core;
using Agno.Hosting;
using Agno.Values;

namespace Agno.Commands
{
    /// <summary>
    /// New-AgnoSession: a session with its own state; it becomes the current session of this runspace.
    /// With -Store (or $env:AGNO_STORE) the session is opened from that SQLite file, or created there,
    /// and every change to it is saved as it is made; -Input and -State given are applied to it.
    /// -MergeStrategy and -Reducer are the session's merge rules: for commits that meet another
    /// process's, and for its parallel nodes that set none of their own.
    /// </summary>
    [Cmdlet(VerbsCommon.New, "AgnoSession")]
    [OutputType(typeof(AgnoSession))]
    public sealed class NewAgnoSessionCommand : AgnoCmdlet
    {
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string? SessionId { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        public string? UserId { get; set; }

        [Parameter]
        public object? Input { get; set; }

        [Parameter]
        public IDictionary? State { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string? Store { get; set; }

        [Parameter]
        public MergeStrategy MergeStrategy { get; set; } = MergeStrategy.LastWriteWins;

        [Parameter]
        public IDictionary? Reducer { get; set; }

        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int HistoryLimit { get; set; } = AgnoSession.DefaultHistoryLimit;

        /// <summary>Creates the store's folder when it does not exist.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void ProcessRecord() => Terminating(() =>
        {
            object? input;
            try
            {
                input = PSValueCopier.Instance.Copy(Input);
            }
            catch (ValueRefusedException e)
            {
                throw new ValueRefusedException("-Input", e.Reason, e);
            }
            var policy = ParallelSettings.Policy(this, MergeStrategy, Reducer);
            var store = StoreCache.Resolve(this, Store, Force ? StoreCreation.FileAndFolder : StoreCreation.File);
            AgnoSession session;
            if (store == null)
            {
                var state = State == null
                    ? new AgnoState(PSValueCopier.Instance)
                    : new AgnoState(State, PSValueCopier.Instance);
                session = AgnoSession.Create(SessionId, UserId, input, state);
                session.HistoryLimit = HistoryLimit;
                session.MergePolicy = policy;
            }
            else
            {
                session = store.OpenSession(SessionId, UserId, input, PSValueCopier.Instance, HistoryLimit);
                session.MergePolicy = policy;
                if (State != null && State.Count > 0)
                {
                    // One commit for all of -State: copied into a fork first, so a refused value saves nothing.
                    var commit = session.State.Apply(new AgnoState(State, PSValueCopier.Instance).ToDelta());
                    StoreWarnings.Write(this, commit?.Conflicts);
                }
            }
            SessionRegistry.SetCurrent(session);
            WriteObject(session);
        });
    }
}
