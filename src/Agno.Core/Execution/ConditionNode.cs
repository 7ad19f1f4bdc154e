using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Agno.Core
{
    /// <summary>
    /// Runs its <see cref="ThenNodes"/> nodes when its condition holds, else its <see cref="ElseNodes"/> nodes, in
    /// order, each committing as in a workflow. The condition reads the state on a copy (what it changes
    /// is not kept); its answer is recorded (<see cref="NodeRecord.Decision"/>, 'Then' or 'Else') and
    /// checkpointed, so a resumed run takes the same branch without asking again.
    /// </summary>
    public sealed class ConditionNode : WorkflowNode
    {
        private readonly Func<AgnoSession, CancellationToken, Task<bool>> _condition;
        private readonly List<WorkflowNode> _then = new List<WorkflowNode>();
        private readonly List<WorkflowNode> _else = new List<WorkflowNode>();

        /// <summary>A condition node named <paramref name="name"/> that asks <paramref name="condition"/> (given a session on a copy of the state).</summary>
        public ConditionNode(string name, Func<AgnoSession, CancellationToken, Task<bool>> condition) : base(name)
        {
            _condition = condition ?? throw new ArgumentNullException(nameof(condition));
        }

        /// <inheritdoc/>
        public override NodeKind Kind => NodeKind.Condition;

        /// <summary>The nodes run when the condition holds, in order.</summary>
        public IReadOnlyList<WorkflowNode> ThenNodes => _then;

        /// <summary>The nodes run when it does not (none: nothing runs).</summary>
        public IReadOnlyList<WorkflowNode> ElseNodes => _else;

        /// <summary>Adds a node (and its Then-chain) to the Then branch.</summary>
        public ConditionNode AddThen(WorkflowNode node)
        {
            ControlFlow.Add(this, _then, node);
            return this;
        }

        /// <summary>Adds a node (and its Then-chain) to the Else branch.</summary>
        public ConditionNode AddElse(WorkflowNode node)
        {
            ControlFlow.Add(this, _else, node);
            return this;
        }

        internal override async Task RunCoreAsync(AgnoSession context, NodeRecord record, RunEnvironment environment, CancellationToken cancellationToken)
        {
            var decision = environment.RecordedDecision(record, "if");
            if (decision == null)
            {
                decision = await ControlFlow.AskAsync(_condition, context, Name, cancellationToken).ConfigureAwait(false) ? "Then" : "Else";
                environment.RecordDecision(context, record, "if", decision);
            }
            record.Decision = decision;
            var branch = string.Equals(decision, "Then", StringComparison.OrdinalIgnoreCase) ? _then : _else;
            await Sequence.RunAsync(Sequence.Expand(branch), context, record, environment, cancellationToken).ConfigureAwait(false);
        }
    }
}
