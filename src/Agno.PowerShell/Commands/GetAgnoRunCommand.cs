using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System;
using Agno.Core;
using Agno.Hosting;

namespace Agno.Commands
{
    /// <summary>
    /// Get-AgnoRun: a session's run history, oldest first: the session object's own history (a stored
    /// session's includes the runs it had when opened), or with -Store -SessionId the runs as the store
    /// keeps them (what every process recorded; the UserId rule of New-AgnoSession applies).
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "AgnoRun", DefaultParameterSetName = SessionSet)]
    [OutputType(typeof(RunRecord))]
    public sealed class GetAgnoRunCommand : PSCmdlet
    {
        private const string SessionSet = "Session";
        private const string StoreSet = "Store";

        [Parameter(Position = 0, ValueFromPipeline = true, ParameterSetName = SessionSet)]
        public AgnoSession? Session { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = StoreSet, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string Store { get; set; } = "";

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = StoreSet, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string SessionId { get; set; } = "";

        [Parameter(ParameterSetName = StoreSet, ValueFromPipelineByPropertyName = true)]
        public string? UserId { get; set; }

        /// <summary>Only the last N runs.</summary>
        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int Last { get; set; } = int.MaxValue;

        protected override void ProcessRecord()
        {
            IReadOnlyList<RunRecord> runs;
            if (ParameterSetName == StoreSet)
            {
                try
                {
                    runs = StoreCache.Resolve(this, Store, StoreCreation.None)!.ListRuns(SessionId, UserId, Last);
                }
                catch (Exception e) when (e is AgnoException || e is ArgumentException)
                {
                    ThrowTerminatingError(AgnoErrors.FromException(e));
                    return;
                }
            }
            else
            {
                var history = SessionRegistry.Require(this, Session).History;
                runs = history.Skip(Math.Max(0, history.Count - Last)).ToList();
            }
            foreach (var run in runs) WriteObject(run);
        }
    }
}
