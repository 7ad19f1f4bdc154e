using System.Collections;
using System.Collections.Generic;
using System.Management.Automation.Runspaces;
using System.Threading;
using System.Threading.Tasks;

namespace Agno.Hosting
{
    /// <summary>
    /// What the ways of running a script in a runspace of this process share: the bootstrap call with
    /// the step's copies of its variables and arguments, and its streams forwarded. An implementation
    /// says which runspace runs the script and how the bootstrap is called there.
    /// </summary>
    internal abstract class ScriptInvoker : IStepInvoker
    {
        private readonly StepStreams _streams;

        protected ScriptInvoker(CallerContext caller, StepStreams streams)
        {
            Caller = caller;
            _streams = streams;
        }

        protected CallerContext Caller { get; }

        public abstract Task<IList<object?>> InvokeAsync(StepRequest request, CancellationToken cancellationToken);

        public abstract IList<object?> Invoke(StepRequest request, CancellationToken cancellationToken);

        /// <summary>
        /// A pipeline in <paramref name="runspace"/> that calls the bootstrap with the code to run and
        /// what depends on where it runs (location, functions, modules, preferences: these may be added to
        /// <paramref name="variables"/>, the variables of the step's scope).
        /// </summary>
        protected abstract System.Management.Automation.PowerShell CreatePipeline(Runspace runspace, StepRequest request, Hashtable variables);

        /// <summary>A run of <paramref name="request"/> in <paramref name="runspace"/>, ready to start.</summary>
        protected ScriptRun Prepare(Runspace runspace, StepRequest request)
        {
            var (variables, arguments) = request.Script.CopiesForRun();
            var ps = CreatePipeline(runspace, request, variables);
            var output = _streams.Attach(ps, request);
            ps.AddParameter("AgnoStepSession", request.Session)
                .AddParameter("AgnoStepVariables", variables.Count == 0 ? null : variables)
                .AddParameter("AgnoStepArguments", request.Arguments ?? arguments)
                .AddParameter("AgnoStepEnd", output.End)
                // $_ is a copy for this run, so that a retry never sees what an earlier attempt did to it.
                .AddParameter("AgnoStepItem", request.Item == null ? null : new[] { Agno.Values.PSValueCopier.Instance.Copy(request.Item.Value) });
            return new ScriptRun(ps, output, runspace, request);
        }
    }
}
