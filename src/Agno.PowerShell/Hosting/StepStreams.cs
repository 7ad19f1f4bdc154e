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
            label ??= request.Label;
            bool forwardOutput = request.ForwardsOutput;
            var holdAs = _ordered != null ? request.Item : null;
            var step = output ?? new StepOutput();
            var tag = "[" + label + "] ";
            var collection = step.Collection;
            collection.DataAdded += (s, e) =>
            {
                var item = collection[e.Index];
                if (step.TakeEnd(item?.BaseObject) || ForwardRecord(item?.BaseObject, tag, label)) return;
                lock (step.Results) step.Results.Add(item?.BaseObject is PSCustomObject ? item : item?.BaseObject);
                // A step's output goes down the pipeline; a reducer's output is its result, and goes nowhere else.
                if (!forwardOutput) return;
                if (holdAs != null) _ordered!.Hold(holdAs.Index, item);
                else Post(() => _cmdlet.WriteObject(item));
            };
            var streams = ps.Streams;
            if (separateStreams)
            {
                streams.Warning.DataAdded += (s, e) => ForwardRecord(streams.Warning[e.Index], tag, label);
                streams.Verbose.DataAdded += (s, e) => ForwardRecord(streams.Verbose[e.Index], tag, label);
                streams.Debug.DataAdded += (s, e) => ForwardRecord(streams.Debug[e.Index], tag, label);
                streams.Information.DataAdded += (s, e) => ForwardRecord(streams.Information[e.Index], tag, label);
            }
            streams.Error.DataAdded += (s, e) =>
            {
                var record = streams.Error[e.Index];
                var details = record.ErrorDetails?.Message ?? record.Exception?.Message ?? record.ToString();
                record.ErrorDetails = new ErrorDetails(tag + details) { RecommendedAction = record.ErrorDetails?.RecommendedAction };
                Post(() => WriteForwardedError(record));
            };
            // Each step's bars get ids of their own, so that two steps' bars with the default Id are two bars.
            int ids = NewActivityIds();
            streams.Progress.DataAdded += (s, e) =>
            {
                var r = streams.Progress[e.Index];
                var own = new ProgressRecord(ids + Math.Abs(r.ActivityId % ActivityIdsPerStep), tag + r.Activity, r.StatusDescription)
                {
                    ParentActivityId = r.ParentActivityId >= 0 ? ids + Math.Abs(r.ParentActivityId % ActivityIdsPerStep) : _progress?.ParentId ?? -1,
                    CurrentOperation = r.CurrentOperation,
                    PercentComplete = r.PercentComplete,
                    SecondsRemaining = r.SecondsRemaining,
                    RecordType = r.RecordType,
                };
                Post(() => _cmdlet.WriteProgress(own));
            };
            return step;
        }

        /// <summary>Writes a warning, verbose, debug or information record to the caller, tagged; false for anything else.</summary>
        private bool ForwardRecord(object? record, string tag, string label)
        {
            switch (record)
            {
                case WarningRecord r: Post(() => _cmdlet.WriteWarning(tag + r.Message)); return true;
                case VerboseRecord r: Post(() => _cmdlet.WriteVerbose(tag + r.Message)); return true;
                case DebugRecord r: Post(() => _cmdlet.WriteDebug(tag + r.Message)); return true;
                case InformationRecord r:
                    r.Source = label;
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
