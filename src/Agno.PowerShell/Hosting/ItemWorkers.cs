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
    /// Runs a pipeline form's items (one branch per item, all with the same script) on workers: a worker
    /// is a pooled runspace running one long pipeline, <see cref="ItemLoop"/>, which takes item after
    /// item and runs the script for each in a scope of its own, as <see cref="RunspaceStepInvoker"/> runs
    /// a step. Starting a pipeline, setting the location and preferences and parsing the script then
    /// happen once per worker, not once per item: for small items they are most of the cost.
    /// <para>
    /// Between two items the worker checks that the item left the runspace as it found it (see
    /// <see cref="RunspaceFingerprint"/>); if not, the worker ends and its runspace goes back to the
    /// pool to be reset, and the next item starts on a fresh worker. An item that throws, calls exit or
    /// is stopped ends its worker's pipeline with it: the item fails (or is cancelled) exactly as a
    /// step run on its own would, and the items after it go to a new worker.
    /// </para>
    /// </summary>
    internal sealed class ItemWorkers
    {
        private readonly CallerContext _caller;
        private readonly StepStreams _streams;
        private readonly Dictionary<StepScript, Group> _groups = new Dictionary<StepScript, Group>();
        private bool _closed;

        public ItemWorkers(CallerContext caller, StepStreams streams)
        {
            _caller = caller;
            _streams = streams;
        }

        /// <summary>Runs <paramref name="request"/> (a step for one pipeline item) on a worker for its script.</summary>
        public Task<IList<object?>> RunAsync(StepRequest request, CancellationToken cancellationToken)
        {
            Group group;
            lock (_groups)
            {
                if (_closed) throw new OperationCanceledException(cancellationToken);
                if (!_groups.TryGetValue(request.Script, out group!)) _groups[request.Script] = group = new Group(this, request.Script);
            }
            return group.Add(request, cancellationToken);
        }

        /// <summary>
        /// No more items come (the invocation has ended): the workers end and give their runspaces back,
        /// waited for up to <paramref name="windDown"/> (a stopped item that ignores the stop may hold its worker longer).
        /// </summary>
        public void Close(TimeSpan windDown)
        {
            List<Group> groups;
            lock (_groups)
            {
                _closed = true;
                groups = new List<Group>(_groups.Values);
            }
            foreach (var group in groups) group.Close();
            var deadline = DateTime.UtcNow + windDown;
            foreach (var group in groups) group.WaitForWorkers(deadline);
        }

        /// <summary>One item waiting for, or running on, a worker.</summary>
        internal sealed class ItemRun
        {
            public ItemRun(StepRequest request, StepStreams.Sink sink, CancellationToken cancellationToken)
            {
                Request = request;
                Sink = sink;
                CancellationToken = cancellationToken;
            }

            public StepRequest Request { get; }
            public StepStreams.Sink Sink { get; }
            public CancellationToken CancellationToken { get; }
            public TaskCompletionSource<IList<object?>> Done { get; } = new TaskCompletionSource<IList<object?>>(TaskCreationOptions.RunContinuationsAsynchronously);
            public CancellationTokenRegistration Registration;
            public Worker? RunningOn;
        }

        /// <summary>The items of one script, and the workers that run them.</summary>
        internal sealed class Group
        {
            private readonly ItemWorkers _owner;
            private readonly LinkedList<ItemRun> _pending = new LinkedList<ItemRun>();
            private int _waiting; // workers started or waiting in Next, ready for an item
            private int _workers; // workers started and not yet ended
            private bool _closed;

            public Group(ItemWorkers owner, StepScript script)
            {
                _owner = owner;
                Script = script;
            }

            public StepScript Script { get; }
            public CallerContext Caller => _owner._caller;
            public StepStreams Streams => _owner._streams;

            public Task<IList<object?>> Add(StepRequest request, CancellationToken cancellationToken)
            {
                var run = new ItemRun(request, Streams.NewSink(request), cancellationToken);
                bool start;
                lock (this)
                {
                    _pending.AddLast(run);
                    start = _waiting < _pending.Count;
                    if (start)
                    {
                        _waiting++;
                        Starting();
                    }
                    else
                    {
                        Monitor.Pulse(this);
                    }
                }
                run.Registration = cancellationToken.Register(() => Cancel(run));
                if (start) Worker.Start(this);
                return run.Done.Task;
            }

            private void Cancel(ItemRun run)
            {
                Worker? worker;
                lock (this)
                {
                    worker = run.RunningOn;
                    if (worker == null) _pending.Remove(run);
                }
                // A waiting item is dropped; a running one stops its worker, whose end cancels it.
                if (worker == null) run.Done.TrySetCanceled(run.CancellationToken);
                else worker.Stop(run);
            }

            /// <summary>No worker could be started: the waiting items fail with the reason.</summary>
            public void FailAll(Exception reason)
            {
                List<ItemRun> failed;
                lock (this)
                {
                    failed = new List<ItemRun>(_pending);
                    _pending.Clear();
                    _waiting--;
                    if (--_workers == 0) Monitor.PulseAll(this);
                }
                foreach (var run in failed) run.Done.TrySetException(reason);
            }

            /// <summary>The next item for <paramref name="worker"/>, waiting for one; null when no more will come.</summary>
            public ItemRun? Next(Worker worker)
            {
                lock (this)
                {
                    while (_pending.Count == 0)
                    {
                        if (_closed) return null;
                        Monitor.Wait(this);
                    }
                    var run = _pending.First!.Value;
                    _pending.RemoveFirst();
                    run.RunningOn = worker;
                    _waiting--;
                    return run;
                }
            }

            /// <summary>A worker finished an item and will wait for the next.</summary>
            public void Ready()
            {
                lock (this) _waiting++;
            }

            /// <summary>A worker ended: another starts if items wait for one.</summary>
            public void Ended(bool wasWaiting)
            {
                bool start;
                lock (this)
                {
                    if (wasWaiting) _waiting--;
                    start = !_closed && _waiting < _pending.Count;
                    if (start) _waiting++;
                    else if (--_workers == 0) Monitor.PulseAll(this);
                    // (a worker started in its place keeps the count)
                }
                if (start) Worker.Start(this);
            }

            /// <summary>A worker is about to start (with <see cref="_waiting"/> already counting it).</summary>
            private void Starting() => _workers++;

            /// <summary>Waits until every worker has ended, or <paramref name="deadline"/>.</summary>
            public void WaitForWorkers(DateTime deadline)
            {
                lock (this)
                {
                    while (_workers > 0)
                    {
                        var left = deadline - DateTime.UtcNow;
                        if (left <= TimeSpan.Zero || !Monitor.Wait(this, left)) return;
                    }
                }
            }

            public void Close()
            {
                lock (this)
                {
                    _closed = true;
                    Monitor.PulseAll(this);
                }
            }
        }

        /// <summary>
        /// One pooled runspace running <see cref="ItemLoop"/>; the script calls <see cref="Next"/>
        /// between items, on the runspace's own thread.
        /// </summary>
        internal sealed class Worker
        {
            private readonly Group _group;
            private readonly StepRunspaces.Lease _lease;
            private readonly System.Management.Automation.PowerShell _ps;
            private readonly PSDataCollection<PSObject> _output = new PSDataCollection<PSObject>();
            private readonly List<(PSVariable Variable, object? Value)> _preferences = new List<(PSVariable, object?)>();
            private readonly IList? _errors;
            private RunspaceFingerprint? _baseline;
            private volatile ItemRun? _current;
            private SessionRegistry.StepScope? _scope;
            private bool _waiting = true;
            private readonly object _stopLock = new object();
            private bool _stopRequested;

            private Worker(Group group, StepRunspaces.Lease lease)
            {
                _group = group;
                _lease = lease;
                var runspace = lease.Runspace;
                // The caller's preferences are the runspace's globals (so that modules' functions see
                // them too), put back before every item.
                foreach (DictionaryEntry preference in group.Caller.StepPreferences)
                {
                    var name = (string)preference.Key;
                    runspace.SessionStateProxy.SetVariable(name, preference.Value);
                    var variable = runspace.SessionStateProxy.PSVariable.Get(name);
                    if (variable != null) _preferences.Add((variable, preference.Value));
                }
                _errors = runspace.SessionStateProxy.GetVariable("Error") as IList;
                var script = group.Script;
                _ps = System.Management.Automation.PowerShell.Create();
                _ps.Runspace = runspace;
                _ps.AddCommand(ItemLoop.FunctionName)
                    .AddParameter("AgnoWorker", this)
                    .AddParameter("AgnoStepCode", script.Text)
                    .AddParameter("AgnoStepFile", script.File ?? group.Caller.ScriptPath)
                    .AddParameter("AgnoStepLocation", group.Caller.Location)
                    .AddParameter("AgnoStepFunctions", script.Functions.Count == 0 ? null : new Hashtable(script.Functions))
                    .AddParameter("AgnoStepModules", script.Modules.Count == 0 ? null : script.Modules.ToArray());
                group.Streams.Attach(_ps, () => _current?.Sink, _output);
            }

            /// <summary>Rents a runspace and starts a worker in it, off the calling thread (opening a runspace takes a while).</summary>
            public static void Start(Group group) => Task.Run(() =>
            {
                Worker worker;
                try
                {
                    worker = new Worker(group, StepRunspaces.Shared.Rent());
                }
                catch (Exception e)
                {
                    // No runspace to be had: the items waiting fail with the reason.
                    group.FailAll(e);
                    return;
                }
                worker.Run();
            });

            private void Run()
            {
                Task invoked;
                try
                {
                    invoked = Task.Factory.FromAsync(_ps.BeginInvoke<PSObject, PSObject>(null, _output), _ps.EndInvoke);
                }
                catch (Exception e)
                {
                    invoked = Task.FromException(e);
                }
                // Judged once EndInvoke has returned: the runspace is free again by then.
                invoked.ContinueWith(_ => Ended(), TaskScheduler.Default);
            }

            /// <summary>Stops <paramref name="run"/> if it is still running here (its worker ends with it).</summary>
            public void Stop(ItemRun run)
            {
                lock (_stopLock)
                {
                    if (!ReferenceEquals(_current, run)) return;
                    _stopRequested = true;
                }
                _ps.BeginStop(null, null);
            }

            // The parts of the current item the loop passes to the step's bootstrap.
            public object? Session => _current?.Request.Session;
            public Hashtable? Variables { get; private set; }
            public object?[]? Arguments { get; private set; }
            public object? End => _current?.Sink.Output.End;
            public object? Item { get; private set; }

            /// <summary>
            /// Called by the loop between items, on the runspace's thread: settles the item that has
            /// just run and takes the next. False when the worker should end (no more items, or the
            /// last item left something behind in the runspace).
            /// </summary>
            public bool Next()
            {
                var finished = _current;
                if (finished != null)
                {
                    bool stopping;
                    lock (_stopLock)
                    {
                        _current = null;
                        stopping = _stopRequested;
                    }
                    // A stop meant for the item that has just finished ends the worker, not the next item;
                    // an item that left something behind (or continued the loop it runs in) ends it too.
                    if (!Settle(finished) || stopping || !RunspaceFingerprint.Take(_lease.Runspace).Matches(_baseline!)) return false;
                    _group.Ready();
                    _waiting = true;
                }
                else
                {
                    _baseline = RunspaceFingerprint.Take(_lease.Runspace);
                }
                var run = _group.Next(this);
                if (run == null) return false;
                _waiting = false;
                foreach (var (variable, value) in _preferences) variable.Value = value;
                var (variables, arguments) = run.Request.Script.CopiesForRun();
                Variables = variables.Count == 0 ? null : variables;
                Arguments = arguments;
                // $_ is a copy for this run, so that a retry never sees what an earlier attempt did to it.
                Item = run.Request.Item == null ? null : Agno.Values.PSValueCopier.Instance.Copy(run.Request.Item.Value);
                _scope = run.Request.Session == null ? (SessionRegistry.StepScope?)null : SessionRegistry.EnterStep(_lease.Runspace, run.Request.Session);
                _current = run;
                return true;
            }

            /// <summary>The item ran to its end marker: it succeeded, with what it wrote (false when it did not: see <see cref="StepOutput.CalledExit"/>).</summary>
            private bool Settle(ItemRun run)
            {
                bool ended = run.Sink.Output.EndReached;
                _scope?.Dispose();
                _scope = null;
                run.Registration.Dispose();
                // What the item wrote has been handed on; the worker keeps none of it.
                _output.Clear();
                _ps.Streams.ClearStreams();
                _errors?.Clear();
                if (run.CancellationToken.IsCancellationRequested) run.Done.TrySetCanceled(run.CancellationToken);
                else if (!ended) run.Done.TrySetException(StepOutput.CalledExit(run.Request.Label));
                else run.Done.TrySetResult(run.Sink.Output.Results);
                return ended;
            }

            /// <summary>The loop's pipeline has ended: judge the item it was running, if any, and give the runspace back.</summary>
            private void Ended()
            {
                ItemRun? run;
                lock (_stopLock)
                {
                    run = _current;
                    _current = null;
                }
                _scope?.Dispose();
                _scope = null;
                if (run != null)
                {
                    run.Registration.Dispose();
                    if (run.CancellationToken.IsCancellationRequested) run.Done.TrySetCanceled(run.CancellationToken);
                    else if (ScriptRun.StoppedTheWorkflow(_ps.InvocationStateInfo.Reason)) run.Done.TrySetResult(run.Sink.Output.Results);
                    else run.Done.TrySetException(Failure(run));
                }
                _ps.Dispose();
                _output.Dispose();
                StepRunspaces.Shared.Return(_lease);
                _group.Ended(_waiting);
            }

            /// <summary>Why an item's pipeline ended before the item did (as <see cref="ScriptRun"/> judges a step run on its own).</summary>
            private Exception Failure(ItemRun run)
            {
                var state = _ps.InvocationStateInfo;
                if (state.State == PSInvocationState.Failed && state.Reason != null) return state.Reason;
                if (state.State == PSInvocationState.Stopped) return new PipelineStoppedException();
                return StepOutput.CalledExit(run.Request.Label);
            }
        }
    }
}
