using System.Collections.Generic;
using System.Management.Automation;
using Agno.Core;

namespace Agno.Commands
{
    /// <summary>The warnings a stored session's commits and runs give: conflicts with other processes' commits, and a resume with nothing to resume.</summary>
    internal static class StoreWarnings
    {
        /// <summary>One warning per conflict, worded by <see cref="StoreConflict.Message"/> (AgnoStoreConflict, the key, the other commit's version).</summary>
        public static void Write(PSCmdlet cmdlet, IEnumerable<StoreConflict>? conflicts)
        {
            foreach (var conflict in conflicts ?? new StoreConflict[0]) cmdlet.WriteWarning(conflict.Message);
        }

        /// <summary>The warnings of a run: a -Resume that found nothing unfinished (so nothing was skipped), then its conflicts.</summary>
        public static void Write(PSCmdlet cmdlet, RunRecord run, bool resumeAsked)
        {
            if (resumeAsked && !run.IsResumed)
            {
                cmdlet.WriteWarning($"There was nothing to resume: '{run.Name}' has no unfinished run on session '{run.SessionId}' (it never ran, or its last run completed), so it ran from the start.");
            }
            Write(cmdlet, run.StoreConflicts);
        }
    }
}
