using System;
using System.Collections.Generic;
using Agno.Core;

namespace Agno.Commands
{
    /// <summary>How the cmdlets that make nodes take the nodes they are given: a null node, or a name given twice, is an error naming it.</summary>
    internal static class NodeList
    {
        public static void AddAll(string owner, string parameter, IEnumerable<WorkflowNode?>? nodes, Action<WorkflowNode> add)
        {
            int i = 0;
            foreach (var node in nodes ?? Array.Empty<WorkflowNode?>())
            {
                i++;
                if (node == null) throw new AgnoArgumentException($"Node {i} of {parameter} of '{owner}' is null; pass steps, workflows, parallel nodes or control-flow nodes.", owner);
                try
                {
                    add(node);
                }
                catch (ArgumentException e)
                {
                    throw AgnoErrors.Argument(e, node.Name);
                }
            }
        }
    }
}
