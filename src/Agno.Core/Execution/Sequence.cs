using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Agno.Core
{
    /// <summary>Runs nodes one after another, each committing before the next starts; stops at the first failure.</summary>
    internal static class Sequence
    {
        public static async Task RunAsync(IReadOnlyList<WorkflowNode> nodes, AgnoSession context, NodeRecord parent,
            RunEnvironment environment, CancellationToken cancellationToken)
        {
            // Every node gets its record up front, so a stopped run shows what never ran (Pending).
            var records = nodes.Select(n => parent.AddChild(n.Name, n.Kind)).ToList();
            for (int i = 0; i < nodes.Count; i++)
            {
                if (environment.CompletedBefore(records[i]))
                {
                    records[i].Finish(NodeStatus.Skipped);
                    continue;
                }
                await nodes[i].RunNodeAsync(context, records[i], environment, cancellationToken).ConfigureAwait(false);
                if (nodes[i].Kind == NodeKind.Workflow)
                {
                    // A nested workflow's steps committed one by one; its own completion is recorded now.
                    environment.Commit(context, records[i], StateDelta.Empty);
                }
                parent.KeysChanged = KeysChangedBy(records);
                // A step asked to end the run (Stop-AgnoWorkflow): what ran is committed, the rest does not run.
                // Only the session's own sequences stop: a parallel branch's ends, and its node merges first.
                if (environment.Stop.Requested && environment.IsRoot(context)) throw new RunStoppedException();
            }
        }

        /// <summary>The keys the records' nodes changed, each once, in the order first changed.</summary>
        private static IReadOnlyList<string> KeysChangedBy(IEnumerable<NodeRecord> records) =>
            records.SelectMany(r => r.KeysChanged).Distinct(StringComparer.OrdinalIgnoreCase).ToList();

        /// <summary>Runs a node and the nodes chained after it; a chain of more than one gets a Sequence record.</summary>
        public static async Task RunChainAsync(IReadOnlyList<WorkflowNode> chain, AgnoSession own, NodeRecord record,
            RunEnvironment environment, CancellationToken cancellationToken)
        {
            if (chain.Count == 1)
            {
                await chain[0].RunNodeAsync(own, record, environment, cancellationToken).ConfigureAwait(false);
                return;
            }
            record.Start();
            environment.Observer?.NodeStarted(record);
            try
            {
                await Sequence.RunAsync(chain, own, record, environment, cancellationToken).ConfigureAwait(false);
                record.Finish(NodeStatus.Completed);
            }
            catch (RunStoppedException)
            {
                record.Finish(NodeStatus.Stopped);
                throw;
            }
            catch (OperationCanceledException e)
            {
                record.Finish(NodeStatus.Cancelled, e);
                throw;
            }
            catch (Exception e)
            {
                record.Finish(NodeStatus.Failed, e);
                throw;
            }
            finally
            {
                environment.Observer?.NodeFinished(record);
            }
        }

        /// <summary>All nodes with their Then-chains spelled out, in order.</summary>
        public static IReadOnlyList<WorkflowNode> Expand(IEnumerable<WorkflowNode> nodes) => nodes.SelectMany(n => n.Chain()).ToList();
    }
}
