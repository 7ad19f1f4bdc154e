using System;
using System.Collections;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Threading;
using System.Threading.Tasks;
using Agno.Commands;
using Agno.Core;

namespace Agno.Hosting
{
    /// <summary>
    /// One invocation of Invoke-AgnoWorkflow or Invoke-AgnoParallel. The engine runs on worker
    /// threads; everything that must happen on the caller's pipeline thread (writing any stream,
    /// progress, running an Inline step) is queued here and done by <see cref="Pump"/>, which the
    /// cmdlet runs until the engine and every step it started have finished.
    /// </summary>
    internal sealed class InvocationHost : IRunObserver
    {
        private static readonly AsyncLocal<InvocationHost?> CurrentHost = new AsyncLocal<InvocationHost?>();

        /// <summary>The invocation whose engine code is running on this logical thread.</summary>
        public static InvocationHost? Current => CurrentHost.Value;

        /// <summary>How long to wait for stopped steps to wind down after the engine has finished.</summary>
        private static readonly TimeSpan WindDown = TimeSpan.FromSeconds(10);

        // The step's code runs in a child scope of this script, which holds what the step is given.
        // Warning, verbose, debug and information records are merged into the output, so that they
        // reach the caller in the order written (and under Inline, where a nested pipeline would
        // write them straight to the host, at all); Forward sorts them out again.
        // It is kept small: every line costs every step.
        internal const string BootstrapFunction = "__AgnoRunStep";
        internal const string Bootstrap = @"
param($AgnoStepCode, $AgnoStepSession, [hashtable]$AgnoStepVariables, [hashtable]$AgnoStepFunctions, [string[]]$AgnoStepModules, [object[]]$AgnoStepArguments, $AgnoStepEnd)
if ($AgnoStepVariables) { foreach ($__agnoEntry in $AgnoStepVariables.GetEnumerator()) { $ExecutionContext.SessionState.PSVariable.Set($__agnoEntry.Key, $__agnoEntry.Value) } }
if ($AgnoStepFunctions) { foreach ($__agnoEntry in $AgnoStepFunctions.GetEnumerator()) { . ([scriptblock]::Create(""function $($__agnoEntry.Key) {`n$($__agnoEntry.Value)`n}"")) } }
if ($AgnoStepModules) { foreach ($__agnoEntry in $AgnoStepModules) { Import-Module $__agnoEntry -ErrorAction Stop } }
if ($null -ne $AgnoStepSession) { $AgnoSession = $AgnoStepSession }
if ($AgnoStepCode -is [string]) { $AgnoStepCode = [scriptblock]::Create($AgnoStepCode) }
& $AgnoStepCode @AgnoStepArguments 3>&1 4>&1 5>&1 6>&1
$AgnoStepEnd
";

        private readonly PSCmdlet _cmdlet;
        private readonly Runspace _callerRunspace;
        private readonly Hashtable _preferences;
        private readonly BlockingCollection<Action> _queue = new BlockingCollection<Action>();
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private int _active;

        private readonly RunProgress? _progress;

        public InvocationHost(PSCmdlet cmdlet, StepIsolation isolation, WorkflowNode node)
        {
            _cmdlet = cmdlet;
            _callerRunspace = Runspace.DefaultRunspace;
            Isolation = isolation;
            _preferences = CallerPreferences(cmdlet);
            if (!(_preferences["ProgressPreference"] is ActionPreference progress && progress == ActionPreference.SilentlyContinue))
            {
                _progress = new RunProgress(WriteProgressSafely, $"{cmdlet.MyInvocation.MyCommand.Name} '{node.Name}'", CountSteps(node));
            }
        }

        public StepIsolation Isolation { get; }

        /// <summary>The first exception a write on the pipeline thread threw (e.g. -ErrorAction Stop), which ended the run.</summary>
        public Exception? WriteFailure { get; private set; }

        public bool Stopping => _stop.IsCancellationRequested;

        /// <summary>Starts the engine's work on a worker thread, with this host as the current one.</summary>
        public Task<T> Start<T>(Func<CancellationToken, Task<T>> work)
        {
            Interlocked.Increment(ref _active);
            var run = Task.Run(async () =>
            {
                CurrentHost.Value = this;
                return await work(_stop.Token).ConfigureAwait(false);
            });
            // Released once the task itself has completed, so the pump never ends before the run does.
            run.ContinueWith(_ => Release(), TaskContinuationOptions.ExecuteSynchronously);
            return run;
        }

        /// <summary>Stops every running step (StopProcessing, or a failed write).</summary>
        public void Stop() => _stop.Cancel();

        /// <summary>Does the queued work on the calling (pipeline) thread until the run and its steps are done.</summary>
        public void Pump(Task engine)
        {
            DateTime? deadline = null;
            while (!_queue.IsCompleted)
            {
                if (engine.IsCompleted && deadline == null) deadline = DateTime.UtcNow + WindDown;
                if (deadline.HasValue && DateTime.UtcNow > deadline.Value) break;
                try
                {
                    if (_queue.TryTake(out var work, 100)) work();
                    _progress?.Refresh();
                }
                catch (Exception e)
                {
                    WriteFailure ??= e;
                    Stop();
                }
            }
            Post(() => { }); // nothing more is pumped; later posts are dropped
            if (WriteFailure == null) _progress?.Complete();
        }

        private void Post(Action work)
        {
            try
            {
                _queue.Add(work);
            }
            catch (InvalidOperationException)
            {
                // the invocation has finished pumping: nothing is listening any more
            }
        }

        private void Release()
        {
            if (Interlocked.Decrement(ref _active) == 0) _queue.CompleteAdding();
        }

        /// <summary>Runs a step's script for <paramref name="own"/> (the step's session), per the isolation.</summary>
        public async Task RunStepAsync(StepScript script, AgnoSession own, CancellationToken cancellationToken)
        {
            var output = await RunScriptAsync(script, own, own.NodeName ?? "step", null, cancellationToken).ConfigureAwait(false);
            own.Output = output.Count == 1 ? output[0] : output.ToArray();
        }

        /// <summary>Runs a reducer scriptblock with (base, current, incoming) and returns what it wrote.</summary>
        public object? RunReducer(StepScript script, string key, object? baseValue, object? current, object? incoming, CancellationToken cancellationToken)
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, cancellationToken);
            var output = RunScriptAsync(script, null, $"reducer '{key}'", new[] { baseValue, current, incoming }, stop.Token).GetAwaiter().GetResult();
            return output.Count == 1 ? output[0] : output.ToArray();
        }

        private async Task<IList<object?>> RunScriptAsync(StepScript script, AgnoSession? own, string label, object?[]? arguments, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _active);
            try
            {
                if (Isolation == StepIsolation.Inline)
                {
                    var done = new TaskCompletionSource<IList<object?>>(TaskCreationOptions.RunContinuationsAsynchronously);
                    Post(() =>
                    {
                        if (cancellationToken.IsCancellationRequested)
                        {
                            done.TrySetCanceled();
                            return;
                        }
                        try
                        {
                            done.TrySetResult(Invoke(_callerRunspace, inline: true, script, own, label, arguments, cancellationToken, synchronous: true).GetAwaiter().GetResult());
                        }
                        catch (Exception e)
                        {
                            done.TrySetException(e);
                        }
                    });
                    return await done.Task.ConfigureAwait(false);
                }
                var lease = StepRunspaces.Shared.Rent();
                try
                {
                    return await Invoke(lease.Runspace, inline: false, script, own, label, arguments, cancellationToken, synchronous: false).ConfigureAwait(false);
                }
                finally
                {
                    StepRunspaces.Shared.Return(lease);
                }
            }
            finally
            {
                Release();
            }
        }

        private async Task<IList<object?>> Invoke(Runspace runspace, bool inline, StepScript script, AgnoSession? own, string label,
            object?[]? arguments, CancellationToken cancellationToken, bool synchronous)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (variables, copiedArguments) = script.CopiesForRun();
            var end = new StepEnd(); // written by the bootstrap after the code: missing means the code called exit
            if (inline)
            {
                // The caller's own preference variables must not change: the step gets them in its scope.
                foreach (DictionaryEntry preference in _preferences) variables[preference.Key] = preference.Value;
            }
            else
            {
                // A pooled runspace takes them as globals: every step sets them, so none can leak to the next.
                foreach (DictionaryEntry preference in _preferences) runspace.SessionStateProxy.SetVariable((string)preference.Key, preference.Value);
            }
            using var ps = inline
                ? System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace)
                : System.Management.Automation.PowerShell.Create();
            if (!inline) ps.Runspace = runspace;
            // A pooled runspace has the bootstrap as a function, compiled once; the caller's runspace parses it.
            (inline ? ps.AddScript(Bootstrap, useLocalScope: true) : ps.AddCommand(BootstrapFunction))
                .AddParameter("AgnoStepCode", inline && !script.HasUsing ? (object)script.Original : script.Text)
                .AddParameter("AgnoStepSession", own)
                .AddParameter("AgnoStepVariables", variables.Count == 0 ? null : variables)
                .AddParameter("AgnoStepFunctions", inline || script.Functions.Count == 0 ? null : new Hashtable(script.Functions))
                .AddParameter("AgnoStepModules", inline || script.Modules.Count == 0 ? null : script.Modules.ToArray())
                .AddParameter("AgnoStepArguments", arguments ?? copiedArguments)
                .AddParameter("AgnoStepEnd", end);
            var output = new PSDataCollection<PSObject>();
            var results = new List<object?>();
            Forward(ps, output, results, end, label, forwardOutput: own != null);

            var scope = own == null ? default(SessionRegistry.StepScope?) : SessionRegistry.EnterStep(runspace, own);
            try
            {
                using (cancellationToken.Register(() => ps.BeginStop(null, null)))
                {
                    if (synchronous)
                    {
                        ps.Invoke(null, output);
                    }
                    else
                    {
                        await Task.Factory.FromAsync(ps.BeginInvoke<PSObject, PSObject>(null, output), ps.EndInvoke).ConfigureAwait(false);
                    }
                }
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                // Whatever a stopped pipeline threw, the step was stopped: it failed of nothing of its own.
                throw new OperationCanceledException(cancellationToken);
            }
            finally
            {
                scope?.Dispose();
            }
            cancellationToken.ThrowIfCancellationRequested();
            if (ps.InvocationStateInfo.State == PSInvocationState.Stopped)
            {
                // Stopped from outside (Ctrl+C reaching a nested pipeline first): the step did not complete.
                throw new PipelineStoppedException();
            }
            if (!end.Reached)
            {
                // PowerShell ends the hosted script on exit without telling its code, so any exit fails
                // the step rather than commit half of it silently.
                throw new RuntimeException($"{label} called exit (or break or continue outside a loop), which ends a step without saying whether it succeeded: it fails, and its changes are discarded. Use return to end a step early, or throw to fail it.");
            }
            return results;
        }

        /// <summary>
        /// Sends everything the script writes to the caller, each record tagged with the step that
        /// wrote it, and collects the script's own output into <paramref name="results"/>.
        /// </summary>
        private void Forward(System.Management.Automation.PowerShell ps, PSDataCollection<PSObject> output, List<object?> results, StepEnd end, string label, bool forwardOutput)
        {
            var tag = "[" + label + "] ";
            output.DataAdded += (s, e) =>
            {
                var item = output[e.Index];
                switch (item?.BaseObject)
                {
                    case StepEnd reached when ReferenceEquals(reached, end): end.Reached = true; break;
                    case WarningRecord r: Post(() => _cmdlet.WriteWarning(tag + r.Message)); break;
                    case VerboseRecord r: Post(() => _cmdlet.WriteVerbose(tag + r.Message)); break;
                    case DebugRecord r: Post(() => _cmdlet.WriteDebug(tag + r.Message)); break;
                    case InformationRecord r:
                        r.Source = label;
                        Post(() => _cmdlet.WriteInformation(r));
                        break;
                    default:
                        lock (results) results.Add(item?.BaseObject is PSCustomObject ? item : item?.BaseObject);
                        // A step's output goes down the pipeline; a reducer's output is its result, and goes nowhere else.
                        if (forwardOutput) Post(() => _cmdlet.WriteObject(item));
                        break;
                }
            };
            var streams = ps.Streams;
            streams.Error.DataAdded += (s, e) =>
            {
                var record = streams.Error[e.Index];
                var tagged = new ErrorRecord(record, record.Exception)
                {
                    ErrorDetails = new ErrorDetails(tag + (record.ErrorDetails?.Message ?? record.Exception?.Message ?? record.ToString())),
                };
                Post(() => _cmdlet.WriteError(tagged));
            };
            streams.Progress.DataAdded += (s, e) =>
            {
                var r = streams.Progress[e.Index];
                if (r.ParentActivityId < 0 && _progress != null) r.ParentActivityId = _progress.ParentId;
                r.Activity = tag + r.Activity;
                Post(() => _cmdlet.WriteProgress(r));
            };
        }

        /// <summary>What the bootstrap writes once the step's code has run to its end.</summary>
        private sealed class StepEnd
        {
            public volatile bool Reached;
        }

        /// <summary>The caller's preferences, with its -Verbose, -Debug, -ErrorAction... applied, for the steps to run under.</summary>
        private static Hashtable CallerPreferences(PSCmdlet cmdlet)
        {
            var preferences = new Hashtable(StringComparer.OrdinalIgnoreCase);
            foreach (var name in new[] { "VerbosePreference", "DebugPreference", "ErrorActionPreference", "WarningPreference", "InformationPreference", "ProgressPreference" })
            {
                // A script may hold a preference as a string ($ErrorActionPreference = 'Stop'): it means the same.
                if (LanguagePrimitives.TryConvertTo<ActionPreference>(cmdlet.SessionState.PSVariable.GetValue(name), out var action)) preferences[name] = action;
            }
            foreach (var name in new[] { "ConfirmPreference", "WhatIfPreference" })
            {
                var value = cmdlet.SessionState.PSVariable.GetValue(name);
                if (value != null) preferences[name] = value;
            }
            var bound = cmdlet.MyInvocation.BoundParameters;
            if (bound.TryGetValue("Verbose", out var verbose)) preferences["VerbosePreference"] = IsSet(verbose) ? ActionPreference.Continue : ActionPreference.SilentlyContinue;
            if (bound.TryGetValue("Debug", out var debug)) preferences["DebugPreference"] = IsSet(debug) ? ActionPreference.Continue : ActionPreference.SilentlyContinue;
            foreach (var (parameter, variable) in new[] { ("ErrorAction", "ErrorActionPreference"), ("WarningAction", "WarningPreference"), ("InformationAction", "InformationPreference"), ("ProgressAction", "ProgressPreference") })
            {
                if (bound.TryGetValue(parameter, out var given) && LanguagePrimitives.TryConvertTo<ActionPreference>(given, out var action)) preferences[variable] = action;
            }
            // Inside a step a throw must always fail the step (under SilentlyContinue or Ignore PowerShell
            // would skip it and commit half a step): steps run under Stop or Continue, and the caller's own
            // -ErrorAction still decides what it shows of the errors they write.
            var errorAction = preferences["ErrorActionPreference"] is ActionPreference a ? a : ActionPreference.Continue;
            preferences["ErrorActionPreference"] = errorAction == ActionPreference.Stop ? ActionPreference.Stop : ActionPreference.Continue;
            return preferences;
        }

        private static bool IsSet(object? value) => value switch
        {
            SwitchParameter s => s.IsPresent,
            bool b => b,
            _ => value != null,
        };

        void IRunObserver.NodeStarted(NodeRecord node)
        {
            if (node.Kind == NodeKind.Step) _progress?.StepStarted(node);
        }

        void IRunObserver.NodeFinished(NodeRecord node)
        {
            if (node.Kind == NodeKind.Step) _progress?.StepFinished(node);
        }

        private void WriteProgressSafely(ProgressRecord record)
        {
            if (!Stopping) _cmdlet.WriteProgress(record);
        }

        private static int CountSteps(WorkflowNode node)
        {
            int count = 0;
            foreach (var n in node.Chain())
            {
                count += n switch
                {
                    Step _ => 1,
                    ParallelNode p => p.Branches.Sum(CountSteps),
                    Workflow w => w.Steps.Sum(CountSteps),
                    _ => 0,
                };
            }
            return count;
        }
    }
}
