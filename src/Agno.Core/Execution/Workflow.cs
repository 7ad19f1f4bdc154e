using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Agno.Core
{
    /// <summary>
    /// A sequence of nodes: each commits its changes before the next starts. A failure stops the
    /// workflow; the changes of the nodes that completed stay.
    /// </summary>
    public sealed class Workflow : WorkflowNode
    {
        private readonly List<WorkflowNode> _steps = new List<WorkflowNode>();

        /// <summary>An empty workflow named <paramref name="name"/>; add its nodes with <see cref="AddStep"/>.</summary>
        /// <exception cref="ArgumentException"><paramref name="name"/> is null, empty or white space.</exception>
        public Workflow(string name) : base(name) { }

        /// <inheritdoc/>
        public override NodeKind Kind => NodeKind.Workflow;

        /// <summary>The nodes added with <see cref="AddStep"/>, in order (without the nodes chained after them with Then).</summary>
        public IReadOnlyList<WorkflowNode> Steps => _steps;

        /// <summary>Adds a node (and the nodes chained after it with Then) at the end.</summary>
        public Workflow AddStep(WorkflowNode node)
        {
            if (node == null) throw new ArgumentNullException(nameof(node), $"A null step cannot be added to workflow '{Name}'.");
            _steps.Add(node);
            try
            {
                CheckNames();
            }
            catch (ArgumentException)
            {
                _steps.RemoveAt(_steps.Count - 1);
                throw;
            }
            return this;
        }

        internal override Task RunCoreAsync(AgnoSession context, NodeRecord record, RunEnvironment environment, CancellationToken cancellationToken)
        {
            CheckNames(); // again: a chain may have grown with Then since the steps were added
            return Sequence.RunAsync(Sequence.Expand(_steps), context, record, environment, cancellationToken);
        }

        /// <summary>Step names identify steps in records and in resume, so each must be distinct.</summary>
        private void CheckNames()
        {
            var duplicate = Sequence.Expand(_steps).GroupBy(n => n.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
            if (duplicate != null)
            {
                throw new ArgumentException(
                    $"Workflow '{Name}' has more than one step named '{duplicate.Key}'; give each step a distinct name so records and resume can tell them apart.", "steps");
            }
        }
    }
}
