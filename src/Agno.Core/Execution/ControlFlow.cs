using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Agno.Core
{
    /// <summary>What the control-flow nodes (condition, loop, router) share: how they ask a question of the state, and their names.</summary>
    internal static class ControlFlow
    {
        /// <summary>
        /// Asks <paramref name="question"/> of the state, on a copy given to a session of its own (what
        /// the question changes is not kept); its failure fails the node, naming it.
        /// </summary>
        public static async Task<T> AskAsync<T>(Func<AgnoSession, CancellationToken, Task<T>> question, AgnoSession context, string nodeName,
            CancellationToken cancellationToken)
        {
            var own = context.ForNode(context.State.Fork(), nodeName);
            try
            {
                return await question(own, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (AgnoException)
            {
                throw;
            }
            catch (Exception e)
            {
                throw new StepFailedException(nodeName, e);
            }
        }

        /// <summary>
        /// Adds <paramref name="node"/> to <paramref name="branch"/> of <paramref name="owner"/>; refused (and not added)
        /// when it makes two nodes of the branch share a name: names identify nodes in records and in resume.
        /// </summary>
        public static void Add(WorkflowNode owner, List<WorkflowNode> branch, WorkflowNode node)
        {
            if (node == null) throw new ArgumentNullException(nameof(node), $"A null node cannot be added to '{owner.Name}'.");
            branch.Add(node);
            var duplicate = Sequence.Expand(branch).GroupBy(n => n.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
            if (duplicate != null)
            {
                branch.RemoveAt(branch.Count - 1);
                throw new ArgumentException(
                    $"'{owner.Name}' would have more than one node named '{duplicate.Key}' in one branch; give each a distinct name so records and resume can tell them apart.", nameof(node));
            }
        }
    }
}
