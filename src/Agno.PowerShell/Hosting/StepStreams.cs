using System;
using System.Management.Automation;
using System.Reflection;

namespace Agno.Hosting
{
    /// <summary>
    /// Sends everything a step's pipeline writes to the caller, on the pipeline thread (through the
    /// invocation's <see cref="PipelineQueue"/>), each record saying which step wrote it; collects the
    /// step's own output. Errors keep their own FullyQualifiedErrorId and position, as
    /// ForEach-Object -Parallel keeps them; the step's name is in their ErrorDetails.
    /// </summary>
    internal sealed class StepStreams
    {
        // PowerShell's own forwarders (jobs, ForEach-Object -Parallel) set this so that WriteError keeps
        // the record's id and position instead of making them the forwarding command's; it is internal.
        private static readonly PropertyInfo? PreserveInvocationInfo =
            typeof(ErrorRecord).GetProperty("PreserveInvocationInfoOnce", BindingFlags.Instance | BindingFlags.NonPublic);

        private const int ActivityIdsPerStep = 1000;
        private static int _nextActivityIds = 0x52000000;

        private readonly PSCmdlet _cmdlet;
        private readonly PipelineQueue _queue;
        private readonly RunProgress? _progress;
        private readonly OrderedOutput? _ordered;

        /// <param name="ordered">Under -Ordered, where pipeline branches' output waits for its turn.</param>
        public StepStreams(PSCmdlet cmdlet, PipelineQueue queue, RunProgress? progress, OrderedOutput? ordered)
        {
            _cmdlet = cmdlet;
            _queue = queue;
            _progress = progress;
            _ordered = ordered;
        }

        /// <summary>
        /// Listens to the streams of <paramref name="ps"/>, which runs <paramref name="request"/>; pass the
        /// result's Collection to Invoke. A pipeline in this process has its warning, verbose, debug and
        /// information records merged into its output (in the order written); one in another process
        /// (<paramref name="separateStreams"/>) sends them in their own streams, and its end in
        /// <paramref name="output"/>'s form. Records are tagged with <paramref name="label"/>, or the request's.
        /// </summary>
        public StepOutput Attach(System.Management.Automation.PowerShell ps, StepRequest request, string? label = null, StepOutput? output = null, bool separateStreams = false)
        {
            var sink = new Sink(request, _ordered, label, output);
            Attach(ps, () => sink, sink.Output.Collection, separateStreams);
            return sink.Output;
        }

        /// <summary>Where one run's records go: its label, its output, its own progress ids.</summary>
        internal sealed class Sink
        {
            private int _activityIds;

            public Sink(StepRequest request, OrderedOutput? ordered, string? label = null, StepOutput? output = null)
            {
                Label = label ?? request.Label;
                Tag = "[" + Label + "] ";
                ForwardsOutput = request.ForwardsOutput;
                HoldAs = ordered != null ? request.Item : null;
                Output = output ?? new StepOutput();
            }

            public string Label { get; }
            public string Tag { get; }
            public bool ForwardsOutput { get; }
            public StepItem? HoldAs { get; }
            public StepOutput Output { get; }

            /// <summary>Each run's bars get ids of their own, so that two steps' bars with the default Id are two bars.</summary>
            public int ActivityIds => _activityIds != 0 ? _activityIds : _activityIds = NewActivityIds();
        }

        public Sink NewSink(StepRequest request) => new Sink(request, _ordered);

        /// <summary>
        /// Listens to the streams of <paramref name="ps"/>, whose output is <paramref name="collection"/>
        /// and whose records belong to whichever run <paramref name="current"/> names when they are
        /// written (a worker runs many, one after the other, on the thread that writes).
        /// </summary>
        public void Attach(System.Management.Automation.PowerShell ps, Func<Sink?> current, PSDataCollection<PSObject> collection, bool separateStreams = false)
        {
            collection.DataAdded += (s, e) =>
            {
                var item = collection[e.Index];
                var sink = current();
                if (sink == null || sink.Output.TakeEnd(item?.BaseObject) || ForwardRecord(item?.BaseObject, sink)) return;
                var results = sink.Output.Results;
                lock (results) results.Add(item?.BaseObject is PSCustomObject ? item : item?.BaseObject);
                // A step's output goes down the pipeline; a reducer's output is its result, and goes nowhere else.
                if (!sink.ForwardsOutput) return;
                if (sink.HoldAs != null) _ordered!.Hold(sink.HoldAs.Index, item);
                else Post(() => _cmdlet.WriteObject(item));
            };
            var streams = ps.Streams;
            if (separateStreams)
            {
                streams.Warning.DataAdded += (s, e) => ForwardRecord(streams.Warning[e.Index], current());
                streams.Verbose.DataAdded += (s, e) => ForwardRecord(streams.Verbose[e.Index], current());
                streams.Debug.DataAdded += (s, e) => ForwardRecord(streams.Debug[e.Index], current());
                streams.Information.DataAdded += (s, e) => ForwardRecord(streams.Information[e.Index], current());
            }
            streams.Error.DataAdded += (s, e) =>
            {
                var record = streams.Error[e.Index];
                var sink = current();
                if (sink == null) return;
                var details = record.ErrorDetails?.Message ?? record.Exception?.Message ?? record.ToString();
                record.ErrorDetails = new ErrorDetails(sink.Tag + details) { RecommendedAction = record.ErrorDetails?.RecommendedAction };
                Post(() => WriteForwardedError(record));
            };
            streams.Progress.DataAdded += (s, e) =>
            {
                var r = streams.Progress[e.Index];
                var sink = current();
                if (sink == null) return;
                int ids = sink.ActivityIds;
                var own = new ProgressRecord(ids + Math.Abs(r.ActivityId % ActivityIdsPerStep), sink.Tag + r.Activity, r.StatusDescription)
                {
                    ParentActivityId = r.ParentActivityId >= 0 ? ids + Math.Abs(r.ParentActivityId % ActivityIdsPerStep) : _progress?.ParentId ?? -1,
                    CurrentOperation = r.CurrentOperation,
                    PercentComplete = r.PercentComplete,
                    SecondsRemaining = r.SecondsRemaining,
                    RecordType = r.RecordType,
                };
                Post(() => _cmdlet.WriteProgress(own));
            };
        }

        /// <summary>Writes a warning, verbose, debug or information record to the caller, tagged; false for anything else.</summary>
        private bool ForwardRecord(object? record, Sink? sink)
        {
            if (sink == null) return record is WarningRecord || record is VerboseRecord || record is DebugRecord || record is InformationRecord;
            var tag = sink.Tag;
            switch (record)
            {
                case WarningRecord r: Post(() => _cmdlet.WriteWarning(tag + r.Message)); return true;
                case VerboseRecord r: Post(() => _cmdlet.WriteVerbose(tag + r.Message)); return true;
                case DebugRecord r: Post(() => _cmdlet.WriteDebug(tag + r.Message)); return true;
                case InformationRecord r:
                    r.Source = sink.Label;
                    Post(() => _cmdlet.WriteInformation(r));
                    return true;
                default: return false;
            }
        }

        private static int NewActivityIds()
        {
            int ids = System.Threading.Interlocked.Add(ref _nextActivityIds, ActivityIdsPerStep);
            return ids > 0 ? ids : System.Threading.Interlocked.Exchange(ref _nextActivityIds, 0x52000000); // wraps after two million steps
        }

        private void WriteForwardedError(ErrorRecord record)
        {
            if (PreserveInvocationInfo != null)
            {
                PreserveInvocationInfo.SetValue(record, true);
                _cmdlet.WriteError(record);
            }
            else
            {
                _cmdlet.WriteError(new ErrorRecord(record, record.Exception) { ErrorDetails = record.ErrorDetails });
            }
        }

        /// <summary>Writes what a pipeline branch wrote under -Ordered, now that its turn has come.</summary>
        public void Release(int index)
        {
            var items = _ordered?.Release(index);
            if (items != null) Post(() => { foreach (var item in items) _cmdlet.WriteObject(item); });
        }

        private void Post(System.Action write) => _queue.Post(() =>
        {
            System.Diagnostics.Debug.Assert(_queue.OnPipelineThread, "A step's record is written from another thread than the pipeline's.");
            write();
        });
    }
}
