using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Agno.Core
{
    /// <summary>
    /// Runs its nodes in order, again and again: until its Until condition holds (asked after each
    /// iteration), or while its While condition holds (asked before each), at most
    /// <see cref="MaxIterations"/> times. Each iteration has a record of its own ('#1', '#2', ...), its
    /// nodes commit as a workflow's do, and every answer is checkpointed: a run stopped in iteration 3
    /// resumes in iteration 3, with iterations 1 and 2 neither run nor asked about again.
    /// </summary>
    public sealed class LoopNode : WorkflowNode
    {
        private readonly List<WorkflowNode> _steps = new List<WorkflowNode>();
        private int _maxIterations;

        /// <summary>A loop named <paramref name="name"/> of at most <paramref name="maxIterations"/> iterations.</summary>
        public LoopNode(string name, int maxIterations) : base(name)
        {
            MaxIterations = maxIterations;
        }

        /// <inheritdoc/>
        public override NodeKind Kind => NodeKind.Loop;

        /// <summary>The nodes of one iteration, in order.</summary>
        public IReadOnlyList<WorkflowNode> Steps => _steps;

        /// <summary>The most iterations the loop runs (at least 1).</summary>
        public int MaxIterations
        {
            get => _maxIterations;
            set => _maxIterations = value >= 1 ? value
                : throw new ArgumentOutOfRangeException(nameof(value), value, $"Loop '{Name}' needs a maximum of at least 1 iteration.");
        }

        /// <summary>Asked after each iteration (given a session on a copy of the state): true ends the loop.</summary>
        public Func<AgnoSession, CancellationToken, Task<bool>>? Until { get; set; }

        /// <summary>Asked before each iteration: false ends the loop.</summary>
        public Func<AgnoSession, CancellationToken, Task<bool>>? While { get; set; }

        /// <summary>
        /// When a condition was given and the loop reached <see cref="MaxIterations"/> before it ended the
        /// loop: fail (true) rather than complete with a note saying so (false, the default).
        /// </summary>
        public bool FailOnMaxIterations { get; set; }

        /// <summary>Adds a node (and its Then-chain) at the end of an iteration.</summary>
        public LoopNode AddStep(WorkflowNode node)
        {
            ControlFlow.Add(this, _steps, node);
            return this;
        }

        internal override async Task RunCoreAsync(AgnoSession context, NodeRecord record, RunEnvironment environment, CancellationToken cancellationToken)
        {
            var steps = Sequence.Expand(_steps);
            for (int i = 1; i <= _maxIterations; i++)
            {
                if (While != null && !await AnswerAsync(While, "while", i, context, record, environment, cancellationToken).ConfigureAwait(false))
                {
                    record.Decision = $"ended before iteration {i}: its While condition was false";
                    return;
                }
                var iteration = record.AddChild("#" + i, NodeKind.Sequence);
                iteration.Start();
                await Sequence.RunAsync(steps, context, iteration, environment, cancellationToken).ConfigureAwait(false);
                iteration.Finish(NodeStatus.Completed);
                record.KeysChanged = iteration.KeysChanged; // the last iteration's, as a workflow's record lists its steps'
                if (Until != null && await AnswerAsync(Until, "until", i, context, record, environment, cancellationToken).ConfigureAwait(false))
                {
                    record.Decision = $"ended after iteration {i}: its Until condition was true";
                    return;
                }
            }
            record.Decision = $"ran its maximum of {_maxIterations} iterations";
            if (Until == null && While == null) return;
            var limit = $"Loop '{Name}' reached its maximum of {_maxIterations} iterations before its condition ended it.";
            if (FailOnMaxIterations) throw new LoopLimitException(Name, _maxIterations, limit);
            record.Note = limit;
        }

        /// <summary>A condition's answer for iteration <paramref name="iteration"/>: the one recorded by an earlier attempt of the run, else asked now and recorded.</summary>
        private async Task<bool> AnswerAsync(Func<AgnoSession, CancellationToken, Task<bool>> condition, string question, int iteration,
            AgnoSession context, NodeRecord record, RunEnvironment environment, CancellationToken cancellationToken)
        {
            var key = question + "#" + iteration;
            var recorded = environment.RecordedDecision(record, key);
            if (recorded != null) return bool.Parse(recorded);
            bool answer = await ControlFlow.AskAsync(condition, context, Name, cancellationToken).ConfigureAwait(false);
            environment.RecordDecision(context, record, key, answer.ToString());
            return answer;
        }
    }
}
