using System;
using System.Collections;
using System.Linq;
using System.Management.Automation;
using Agno.Core;
using Agno.Hosting;

namespace Agno.Commands
{
    /// <summary>
    /// New-AgnoRouter: a node whose -Selector names the routes to run (one, several in order, or none);
    /// -Route maps each route's name to its nodes. The selector runs as a step does; its choice is
    /// checkpointed, so -Resume takes the same routes. An unknown name fails the router, listing the routes.
    /// </summary>
    [Cmdlet(VerbsCommon.New, "AgnoRouter")]
    [OutputType(typeof(RouterNode))]
    public sealed class NewAgnoRouterCommand : NewNodeCommand
    {
        /// <summary>Each route's name and its nodes (a node, or an array of nodes run in order).</summary>
        [Parameter(Mandatory = true)]
        [ValidateNotNull]
        public IDictionary Route { get; set; } = new Hashtable();

        /// <summary>Writes the names of the routes to run.</summary>
        [Parameter(Mandatory = true, Position = 1)]
        [ValidateNotNull]
        public ScriptBlock Selector { get; set; } = null!;

        private protected override WorkflowNode MakeNode()
        {
            var node = new RouterNode(Name, ScriptStep.Selector(Name, StepScript.Capture(this, Name, Selector)))
            {
                Description = Selector.ToString().Trim(),
            };
            foreach (DictionaryEntry entry in Route)
            {
                var name = entry.Key?.ToString() ?? "";
                var value = entry.Value is PSObject pso ? pso.BaseObject : entry.Value;
                var nodes = value switch
                {
                    WorkflowNode one => new[] { one },
                    IEnumerable many when !(many is string) => many.Cast<object?>().Select(n => (n is PSObject p ? p.BaseObject : n) as WorkflowNode
                        ?? throw new AgnoArgumentException($"Route '{name}' of router '{Name}' holds something that is not a node ({n?.GetType().Name ?? "null"}); give each route steps or other nodes.", name)).ToArray(),
                    _ => throw new AgnoArgumentException($"Route '{name}' of router '{Name}' must be a node or an array of nodes, not {value?.GetType().Name ?? "null"}.", name),
                };
                try
                {
                    node.AddRoute(name, nodes);
                }
                catch (ArgumentException e)
                {
                    throw AgnoErrors.Argument(e, name);
                }
            }
            return node;
        }
    }
}
