using System;
using System.Collections.Generic;
using System.Linq;

namespace Agno.Core
{
    /// <summary>What every node of one run shares.</summary>
    internal sealed class RunEnvironment
    {
        private readonly HashSet<string> _completed;

        public RunEnvironment(IRunObserver? observer, RunRecord run, IEnumerable<string>? completed)
        {
            Observer = observer;
            Run = run;
            _completed = new HashSet<string>(completed ?? Enumerable.Empty<string>(), StringComparer.OrdinalIgnoreCase);
        }

        public IRunObserver? Observer { get; }
        public RunRecord Run { get; }

        /// <summary>True for a top-level node that an earlier attempt of this run completed (a resumed run skips it).</summary>
        public bool CompletedBefore(NodeRecord record) => record.Parent == Run.Root && _completed.Contains(record.Name);

        /// <summary>The checkpoint a commit of <paramref name="record"/> completes: only the run's top-level nodes have one.</summary>
        public Checkpoint? CheckpointFor(NodeRecord record) =>
            record == Run.Root || record.Parent == Run.Root ? new Checkpoint(Run.RunId, Run.Name, record.Name) : null;
    }
}
