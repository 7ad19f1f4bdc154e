using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using Agno.Core;

namespace Agno.Hosting
{
    /// <summary>
    /// Progress of one invocation: a parent bar (steps finished of all; for a pipeline form, items done
    /// of items read) and a child bar per running step. Steps report from worker threads; the bars are written from the pipeline thread, at most
    /// a few times a second, so that progress never costs a fast step more than the step itself.
    /// </summary>
    internal sealed class RunProgress
    {
        private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);
        private static int _ids = 0x41670000;

        private readonly Action<ProgressRecord> _write;
        private readonly string _activity;
        private readonly int _parentId;
        private readonly int _total;
        private readonly Func<int>? _itemsRead;
        private int _itemsDone;
        private readonly ConcurrentDictionary<NodeRecord, int> _running = new ConcurrentDictionary<NodeRecord, int>();
        private readonly Dictionary<NodeRecord, int> _shown = new Dictionary<NodeRecord, int>();
        private readonly Stopwatch _sinceWrite = new Stopwatch();
        private int _finished;
        private int _nextChild;
        private int _changes;

        /// <param name="itemsRead">For a pipeline form (one branch per item): how many items have been read so far.</param>
        public RunProgress(Action<ProgressRecord> write, string activity, int totalSteps, Func<int>? itemsRead = null)
        {
            _write = write;
            _activity = activity;
            _total = totalSteps;
            _itemsRead = itemsRead;
            _parentId = Interlocked.Add(ref _ids, 0x1000);
        }

        /// <summary>The parent bar's id: a step's own progress bars are shown under it.</summary>
        public int ParentId => _parentId;

        public void StepStarted(NodeRecord step)
        {
            _running[step] = _parentId + 1 + Interlocked.Increment(ref _nextChild) % 0xFFE;
            Interlocked.Increment(ref _changes);
        }

        public void StepFinished(NodeRecord step)
        {
            _running.TryRemove(step, out _);
            Interlocked.Increment(ref _finished);
            Interlocked.Increment(ref _changes);
        }

        /// <summary>A pipeline branch is done (it and every item before it have finished).</summary>
        public void ItemDone()
        {
            Interlocked.Increment(ref _itemsDone);
            Interlocked.Increment(ref _changes);
        }

        /// <summary>On the pipeline thread: brings the bars up to date if there is news and they were not written just now.</summary>
        public void Refresh()
        {
            if ((_total == 0 && _itemsRead == null) || Volatile.Read(ref _changes) == 0) return;
            if (_sinceWrite.IsRunning && _sinceWrite.Elapsed < Interval) return;
            Interlocked.Exchange(ref _changes, 0);
            _sinceWrite.Restart();
            if (_itemsRead != null)
            {
                // How many items there will be is not known until the input ends.
                _write(new ProgressRecord(_parentId, _activity, $"{Volatile.Read(ref _itemsDone)} of {_itemsRead()} items read done"));
            }
            else
            {
                int finished = Math.Min(Volatile.Read(ref _finished), _total);
                _write(new ProgressRecord(_parentId, _activity, $"{finished} of {_total} steps finished") { PercentComplete = (int)(100L * finished / _total) });
            }
            foreach (var done in _shown.Keys.Where(s => !_running.ContainsKey(s)).ToList())
            {
                _write(new ProgressRecord(_shown[done], done.Path, done.Status.ToString()) { ParentActivityId = _parentId, RecordType = ProgressRecordType.Completed });
                _shown.Remove(done);
            }
            foreach (var running in _running.ToArray().Where(r => !_shown.ContainsKey(r.Key)))
            {
                _write(new ProgressRecord(running.Value, running.Key.Path, "Running") { ParentActivityId = _parentId });
                _shown[running.Key] = running.Value;
            }
        }

        /// <summary>On the pipeline thread, at the end: removes every bar that was shown.</summary>
        public void Complete()
        {
            if (!_sinceWrite.IsRunning) return;
            foreach (var shown in _shown) _write(new ProgressRecord(shown.Value, shown.Key.Path, "Done") { ParentActivityId = _parentId, RecordType = ProgressRecordType.Completed });
            _shown.Clear();
            _write(new ProgressRecord(_parentId, _activity, "Done") { RecordType = ProgressRecordType.Completed });
        }
    }
}
