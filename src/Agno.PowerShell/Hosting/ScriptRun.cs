using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Threading;
using System.Threading.Tasks;

namespace Agno.Hosting
{
    /// <summary>
    /// One prepared run of a step's script in a runspace of this process: started synchronously or
    /// asynchronously, stopped by its cancellation token, and judged when it ends (a stopped pipeline
    /// or a script that called exit did not complete).
    /// </summary>
    internal sealed class ScriptRun : IDisposable
    {
        private readonly System.Management.Automation.PowerShell _ps;
        private readonly StepOutput _output;
        private readonly Runspace _runspace;
        private readonly StepRequest _request;

        public ScriptRun(System.Management.Automation.PowerShell ps, StepOutput output, Runspace runspace, StepRequest request)
        {
            _ps = ps;
            _output = output;
            _runspace = runspace;
            _request = request;
        }

        /// <summary>Runs on the calling thread.</summary>
        public IList<object?> Run(CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var scope = EnterScope();
            try
            {
                using (cancellationToken.Register(Stop)) _ps.Invoke(null, _output.Collection);
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                // Whatever a stopped pipeline threw, the step was stopped: it failed of nothing of its own.
                throw new OperationCanceledException(cancellationToken);
            }
            catch (Exception e) when (StoppedTheWorkflow(e))
            {
                return _output.Results;
            }
            finally
            {
                scope?.Dispose();
            }
            return Finish(cancellationToken);
        }

        /// <summary>Runs on the runspace's own thread; the calling thread is free meanwhile.</summary>
        public async Task<IList<object?>> RunAsync(CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var scope = EnterScope();
            try
            {
                using (cancellationToken.Register(Stop))
                {
                    await Task.Factory.FromAsync(_ps.BeginInvoke<PSObject, PSObject>(null, _output.Collection), _ps.EndInvoke).ConfigureAwait(false);
                }
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(cancellationToken);
            }
            catch (Exception e) when (StoppedTheWorkflow(e))
            {
                return _output.Results;
            }
            finally
            {
                scope?.Dispose();
            }
            return Finish(cancellationToken);
        }

        private void Stop() => _ps.BeginStop(null, null);

        /// <summary>
        /// The step called Stop-AgnoWorkflow, whose error ends its code early and successfully. It is
        /// recognized here, not caught around the code: a try there would make every
        /// statement-terminating error in the step (1/0, a failed .NET call) end the whole step.
        /// </summary>
        public static bool StoppedTheWorkflow(Exception? failure) =>
            failure is IContainsErrorRecord stopped && stopped.ErrorRecord?.FullyQualifiedErrorId == Agno.Commands.StopAgnoWorkflowCommand.StopErrorId;

        /// <summary>Makes the step's session the one the state cmdlets act on in the runspace, until disposed.</summary>
        private SessionRegistry.StepScope? EnterScope() =>
            _request.Session == null ? (SessionRegistry.StepScope?)null : SessionRegistry.EnterStep(_runspace, _request.Session);

        private IList<object?> Finish(CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_ps.InvocationStateInfo.State == PSInvocationState.Stopped)
            {
                // Stopped from outside (Ctrl+C reaching a nested pipeline first): the step did not complete.
                throw new PipelineStoppedException();
            }
            if (!_output.EndReached)
            {
                // PowerShell ends the hosted script on exit without telling its code, so any exit fails
                // the step rather than commit half of it silently.
                throw StepOutput.CalledExit(_request.Label);
            }
            return _output.Results;
        }


        public void Dispose()
        {
            _ps.Dispose();
            // Ours, not the pipeline's: undisposed, its wait handles were left to the finalizer, a step at a time.
            _output.Collection.Dispose();
        }
    }
}
