using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace Agno.Core
{
    /// <summary>
    /// Runs the routes its selector names, in the order named, each route's nodes in order, committing
    /// as a workflow's do. The selector reads the state on a copy; its choice is recorded
    /// (<see cref="NodeRecord.Decision"/>) and checkpointed, so a resumed run takes the same routes. A
    /// name that is not a route fails the router with <see cref="RouteNotFoundException"/>, listing the routes.
    /// </summary>
    public sealed class RouterNode : WorkflowNode
    {
        private readonly Func<AgnoSession, CancellationToken, Task<IReadOnlyList<string>>> _selector;
        private readonly List<(string Name, List<WorkflowNode> Nodes)> _routes = new List<(string, List<WorkflowNode>)>();

        /// <summary>A router named <paramref name="name"/> whose <paramref name="selector"/> names the routes to run (none, one or several).</summary>
        public RouterNode(string name, Func<AgnoSession, CancellationToken, Task<IReadOnlyList<string>>> selector) : base(name)
        {
            _selector = selector ?? throw new ArgumentNullException(nameof(selector));
        }

        /// <inheritdoc/>
        public override NodeKind Kind => NodeKind.Router;

        /// <summary>The routes: their names (compared case-insensitively) and nodes, in the order added.</summary>
        public IReadOnlyList<KeyValuePair<string, IReadOnlyList<WorkflowNode>>> Routes =>
            _routes.Select(r => new KeyValuePair<string, IReadOnlyList<WorkflowNode>>(r.Name, r.Nodes)).ToList();

        /// <summary>Adds a route named <paramref name="route"/> whose nodes (and their Then-chains) run in order.</summary>
        public RouterNode AddRoute(string route, IEnumerable<WorkflowNode> nodes)
        {
            if (string.IsNullOrWhiteSpace(route)) throw new ArgumentException($"A route of router '{Name}' needs a name that is not empty.", nameof(route));
            if (_routes.Any(r => string.Equals(r.Name, route, StringComparison.OrdinalIgnoreCase)))
            {
                throw new ArgumentException($"Router '{Name}' already has a route named '{route}'.", nameof(route));
            }
            var list = new List<WorkflowNode>();
            foreach (var node in nodes ?? throw new ArgumentNullException(nameof(nodes))) ControlFlow.Add(this, list, node);
            _routes.Add((route, list));
            return this;
        }

        internal override async Task RunCoreAsync(AgnoSession context, NodeRecord record, RunEnvironment environment, CancellationToken cancellationToken)
        {
            IReadOnlyList<string> chosen;
            var recorded = environment.RecordedDecision(record, "route");
            if (recorded != null)
            {
                chosen = JsonSerializer.Deserialize<string[]>(recorded) ?? Array.Empty<string>();
            }
            else
            {
                chosen = (await ControlFlow.AskAsync(_selector, context, Name, cancellationToken).ConfigureAwait(false))
                    .Distinct(StringComparer.OrdinalIgnoreCase).ToList();
                var unknown = chosen.FirstOrDefault(c => !_routes.Any(r => string.Equals(r.Name, c, StringComparison.OrdinalIgnoreCase)));
                if (unknown != null) throw new RouteNotFoundException(Name, unknown, _routes.Select(r => r.Name).ToList());
                environment.RecordDecision(context, record, "route", JsonSerializer.Serialize(chosen));
            }
            record.Decision = chosen.Count == 0 ? "no route" : string.Join(", ", chosen);
            foreach (var name in chosen)
            {
                var route = _routes.First(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase));
                var routeRecord = record.AddChild(route.Name, NodeKind.Sequence);
                routeRecord.Start();
                await Sequence.RunAsync(Sequence.Expand(route.Nodes), context, routeRecord, environment, cancellationToken).ConfigureAwait(false);
                routeRecord.Finish(NodeStatus.Completed);
            }
            record.KeysChanged = record.Children.SelectMany(c => c.KeysChanged).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        }
    }
}
