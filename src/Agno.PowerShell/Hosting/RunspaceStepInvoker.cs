using System.Collections;
using System.Collections.Generic;
using System.Management.Automation.Runspaces;
using System.Threading;
using System.Threading.Tasks;

namespace Agno.Hosting
{
    /// <summary>
    /// Runs each script in a runspace of its own, rented from <see cref="StepRunspaces"/> for the run:
    /// parallel branches run concurrently. The script is recreated there from its text, in the
    /// caller's location, with the caller's preferences as the runspace's globals (every step sets
    /// them, so none can leak to the next) and the functions and modules the step asked for.
    /// </summary>
    internal sealed class RunspaceStepInvoker : ScriptInvoker
    {
        public RunspaceStepInvoker(CallerContext caller, StepStreams streams) : base(caller, streams) { }

        public override async Task<IList<object?>> InvokeAsync(StepRequest request, CancellationToken cancellationToken)
        {
            var lease = StepRunspaces.Shared.Rent();
            try
            {
                using var run = Prepare(lease.Runspace, request);
                return await run.RunAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                StepRunspaces.Shared.Return(lease);
            }
        }

        public override IList<object?> Invoke(StepRequest request, CancellationToken cancellationToken)
        {
            var lease = StepRunspaces.Shared.Rent();
            try
            {
                using var run = Prepare(lease.Runspace, request);
                return run.Run(cancellationToken);
            }
            finally
            {
                StepRunspaces.Shared.Return(lease);
            }
        }

        protected override System.Management.Automation.PowerShell CreatePipeline(Runspace runspace, StepRequest request, Hashtable variables)
        {
            foreach (DictionaryEntry preference in Caller.StepPreferences) runspace.SessionStateProxy.SetVariable((string)preference.Key, preference.Value);
            var script = request.Script;
            var ps = System.Management.Automation.PowerShell.Create();
            ps.Runspace = runspace;
            return ps.AddCommand(StepBootstrap.FunctionName)
                .AddParameter("AgnoStepCode", ParsedScripts.For(runspace, script.Text, script.File ?? Caller.ScriptPath))
                .AddParameter("AgnoStepFile", script.File ?? Caller.ScriptPath)
                .AddParameter("AgnoStepLocation", Caller.Location)
                .AddParameter("AgnoStepFunctions", script.Functions.Count == 0 ? null : new Hashtable(script.Functions))
                .AddParameter("AgnoStepModules", script.Modules.Count == 0 ? null : script.Modules.ToArray());
        }
    }
}
