using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Threading;
using System.Threading.Tasks;

namespace Agno.Hosting
{
    /// <summary>
    /// Runs each script in the caller's own runspace, on the pipeline thread (one at a time), so that
    /// Pester mocks, breakpoints and the caller's functions work. A scriptblock without $using: runs
    /// as it is; the caller's preference variables are never changed (the step gets them in its scope).
    /// </summary>
    internal sealed class InlineStepInvoker : ScriptInvoker
    {
        private readonly PipelineQueue _queue;
        private readonly Runspace _callerRunspace;

        public InlineStepInvoker(CallerContext caller, StepStreams streams, PipelineQueue queue, Runspace callerRunspace) : base(caller, streams)
        {
            _queue = queue;
            _callerRunspace = callerRunspace;
        }

        public override Task<IList<object?>> InvokeAsync(StepRequest request, CancellationToken cancellationToken)
        {
            var done = new TaskCompletionSource<IList<object?>>(TaskCreationOptions.RunContinuationsAsynchronously);
            bool posted = _queue.Post(() =>
            {
                try
                {
                    done.TrySetResult(Run(request, cancellationToken));
                }
                catch (OperationCanceledException)
                {
                    done.TrySetCanceled();
                }
                catch (Exception e)
                {
                    done.TrySetException(e);
                }
            });
            if (!posted) done.TrySetCanceled();
            return done.Task;
        }

        /// <summary>On the pipeline thread it runs at once; from a merge's worker thread it waits for the pipeline thread to run it.</summary>
        public override IList<object?> Invoke(StepRequest request, CancellationToken cancellationToken) =>
            _queue.OnPipelineThread ? Run(request, cancellationToken) : InvokeAsync(request, cancellationToken).GetAwaiter().GetResult();

        private IList<object?> Run(StepRequest request, CancellationToken cancellationToken)
        {
            using var run = Prepare(_callerRunspace, request);
            return run.Run(cancellationToken);
        }

        protected override System.Management.Automation.PowerShell CreatePipeline(Runspace runspace, StepRequest request, Hashtable variables)
        {
            foreach (DictionaryEntry preference in Caller.StepPreferences) variables[preference.Key] = preference.Value;
            var script = request.Script;
            // The caller's runspace has the caller's functions and modules, and is where the caller is.
            return System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace)
                .AddScript(StepBootstrap.Script, useLocalScope: true)
                .AddParameter("AgnoStepCode", script.HasUsing ? (object)script.Text : script.Original)
                .AddParameter("AgnoStepFile", script.File ?? Caller.ScriptPath);
        }
    }
}
