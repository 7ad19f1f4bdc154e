using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Agno.Hosting
{
    /// <summary>
    /// One way of running a step's script: in a pooled runspace, in the caller's runspace (Inline), and
    /// so on. The host picks one per step; each implementation owns where the script runs and how it
    /// is stopped, and gives the script's own output back.
    /// </summary>
    internal interface IStepInvoker
    {
        /// <summary>Runs a step's script; completes when it has finished (or throws as it failed or was stopped).</summary>
        Task<IList<object?>> InvokeAsync(StepRequest request, CancellationToken cancellationToken);

        /// <summary>Runs a short script (a reducer) and waits for it: merges call reducers synchronously.</summary>
        IList<object?> Invoke(StepRequest request, CancellationToken cancellationToken);
    }
}
