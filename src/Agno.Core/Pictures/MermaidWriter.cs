using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace Agno.Core
{
    /// <summary>
    /// Pictures of workflows and runs as Mermaid text, which GitHub and VS Code render as they are: a
    /// <c>flowchart</c> of a node (steps as boxes, a parallel node as a fan-out and a join around its
    /// branches, a workflow as a box around its steps) and a <c>gantt</c> of a run (each node's start
    /// and duration; failed and timed-out ones tagged <c>crit</c>). Each kind of node is one case of
    /// <see cref="Flowchart"/>'s drawing; a new kind of node adds its case there.
    /// </summary>
    public static class MermaidWriter
    {
        /// <summary>A Mermaid <c>flowchart</c> of <paramref name="node"/> and the nodes chained after it.</summary>
        public static string Flowchart(WorkflowNode node)
        {
            if (node == null) throw new ArgumentNullException(nameof(node));
            var chart = new Chart();
            chart.Line(0, "flowchart TD");
            chart.Chain(node.Chain(), 1);
            return chart.ToString();
        }

        /// <summary>A Mermaid <c>gantt</c> of <paramref name="run"/>: a bar per node that started, timed from the run's start.</summary>
        public static string Gantt(RunRecord run)
        {
            if (run == null) throw new ArgumentNullException(nameof(run));
            var text = new StringBuilder();
            var origin = run.StartedAt ?? DateTimeOffset.Now;
            text.Append("gantt\n");
            text.Append("    title ").Append(TaskText($"{run.Name}: {run.Status} in {Milliseconds(run.Duration)} ms")).Append('\n');
            // Times are milliseconds from the run's start (dateFormat x), shown as minutes:seconds.milliseconds.
            text.Append("    dateFormat x\n");
            text.Append("    axisFormat %M:%S.%L\n");
            int id = 0;
            var sections = run.Root.Children.Count > 0 ? run.Root.Children : new[] { run.Root };
            foreach (var top in sections)
            {
                var bars = top.Descendants().Where(n => n.StartedAt.HasValue).ToList();
                if (bars.Count == 0) continue;
                text.Append("    section ").Append(TaskText(top.Name)).Append('\n');
                foreach (var node in bars)
                {
                    long start = Milliseconds(node.StartedAt!.Value - origin);
                    long end = start + Math.Max(1, Milliseconds(node.Duration));
                    var tags = Tags(node.Status);
                    text.Append("    ").Append(TaskText(node == top ? node.Name : node.Path.Substring(top.Path.Length + 1)))
                        .Append(" :").Append(tags.Length > 0 ? tags + ", " : "")
                        .Append('t').Append(++id).Append(", ")
                        .Append(start.ToString(CultureInfo.InvariantCulture)).Append(", ")
                        .Append(end.ToString(CultureInfo.InvariantCulture)).Append('\n');
                }
            }
            return text.ToString();
        }

        private static string Tags(NodeStatus status) => status switch
        {
            NodeStatus.Failed => "crit",
            NodeStatus.TimedOut => "crit",
            NodeStatus.Completed => "done",
            NodeStatus.Stopped => "done",
            NodeStatus.CompletedWithErrors => "crit, done",
            NodeStatus.Running => "active",
            _ => "",
        };

        private static long Milliseconds(TimeSpan t) => (long)Math.Round(t.TotalMilliseconds);

        /// <summary>A gantt's title, section or task text: a colon ends a task's name there, and '#' and ';' start comments and entities.</summary>
        private static string TaskText(string text) =>
            text.Replace(':', '\uA789').Replace('#', '\uFF03').Replace(';', ',').Replace('\n', ' ').Replace('\r', ' ');

        /// <summary>The flowchart being written: numbered node ids, and each node's way in and way out.</summary>
        private sealed class Chart
        {
            private readonly StringBuilder _text = new StringBuilder();
            private readonly List<string> _edges = new List<string>();
            private int _ids;

            public void Line(int depth, string line) => _text.Append(' ', depth * 4).Append(line).Append('\n');

            /// <summary>Draws nodes that run one after another; returns the chain's first entries and last exits.</summary>
            public (IReadOnlyList<string> In, IReadOnlyList<string> Out) Chain(IReadOnlyList<WorkflowNode> chain, int depth)
            {
                IReadOnlyList<string>? first = null;
                IReadOnlyList<string> last = Array.Empty<string>();
                foreach (var node in chain)
                {
                    var (into, outOf) = Node(node, depth);
                    Connect(last, into);
                    first ??= into;
                    last = outOf;
                }
                return (first ?? Array.Empty<string>(), last);
            }

            /// <summary>Draws one node (the case for its kind); returns where edges enter and leave it.</summary>
            private (IReadOnlyList<string> In, IReadOnlyList<string> Out) Node(WorkflowNode node, int depth)
            {
                switch (node)
                {
                    case Step step:
                        return One(Box(depth, step.Name, "[\"", "\"]"));
                    case ParallelNode parallel:
                    {
                        // The fan-out names the node; the join is where its branches' changes merge, in branch order.
                        var fork = Box(depth, parallel.Name, "[/\"", "\"\\]");
                        var branches = parallel.Feed != null
                            ? new List<(IReadOnlyList<string> In, IReadOnlyList<string> Out)> { One(Box(depth, "one branch per item", "[\"", "\"]")) }
                            : parallel.Branches.Select(b => Chain(b.Chain(), depth)).ToList();
                        var join = Box(depth, "merge " + parallel.Name, "[\\\"", "\"/]");
                        foreach (var (into, outOf) in branches)
                        {
                            Connect(new[] { fork }, into);
                            Connect(outOf, new[] { join });
                        }
                        if (branches.Count == 0) Connect(new[] { fork }, new[] { join });
                        return (new[] { fork }, new[] { join });
                    }
                    case Workflow workflow:
                    {
                        var id = "w" + (++_ids).ToString(CultureInfo.InvariantCulture);
                        Line(depth, $"subgraph {id}[\"{Label(workflow.Name)}\"]");
                        var ends = Chain(Sequence.Expand(workflow.Steps), depth + 1);
                        Line(depth, "end");
                        // An empty workflow is its box alone.
                        return ends.In.Count == 0 ? One(id) : ends;
                    }
                    case ConditionNode condition:
                    {
                        // A decision: the branch taken goes on, the other ends where the condition does.
                        var ask = Box(depth, condition.Name, "{\"", "\"}");
                        var outs = new List<string>();
                        foreach (var (label, nodes) in new[] { ("then", condition.ThenNodes), ("else", condition.ElseNodes) })
                        {
                            var (into, outOf) = Chain(Sequence.Expand(nodes), depth);
                            if (into.Count == 0) { outs.Add(ask); continue; }
                            Connect(new[] { ask }, into, label);
                            outs.AddRange(outOf);
                        }
                        return (new[] { ask }, outs.Distinct().ToList());
                    }
                    case LoopNode loop:
                    {
                        var id = "w" + (++_ids).ToString(CultureInfo.InvariantCulture);
                        var bound = loop.Until != null ? "until" : loop.While != null ? "while" : "repeat";
                        Line(depth, $"subgraph {id}[\"{Label($"{loop.Name} ({bound}, at most {loop.MaxIterations})")}\"]");
                        var ends = Chain(Sequence.Expand(loop.Steps), depth + 1);
                        Line(depth, "end");
                        if (ends.In.Count == 0) return One(id);
                        Connect(ends.Out, ends.In, "again");
                        return ends;
                    }
                    case RouterNode router:
                    {
                        var select = Box(depth, router.Name, "{\"", "\"}");
                        var outs = new List<string> { select }; // no route chosen: nothing runs
                        foreach (var route in router.Routes)
                        {
                            var (into, outOf) = Chain(Sequence.Expand(route.Value), depth);
                            if (into.Count == 0) continue;
                            Connect(new[] { select }, into, route.Key);
                            outs.AddRange(outOf);
                        }
                        return (new[] { select }, outs);
                    }
                    default:
                        return One(Box(depth, $"{node.Name} ({node.Kind})", "[\"", "\"]"));
                }
            }

            private static (IReadOnlyList<string> In, IReadOnlyList<string> Out) One(string id) => (new[] { id }, new[] { id });

            private string Box(int depth, string label, string open, string close)
            {
                var id = "n" + (++_ids).ToString(CultureInfo.InvariantCulture);
                Line(depth, id + open + Label(label) + close);
                return id;
            }

            private void Connect(IReadOnlyList<string> from, IReadOnlyList<string> to, string? label = null)
            {
                var arrow = label == null ? " --> " : $" -->|\"{Label(label)}\"| ";
                foreach (var a in from)
                {
                    foreach (var b in to) _edges.Add(a + arrow + b);
                }
            }

            /// <summary>Text inside a quoted label: Mermaid's entity codes for what would end or break it.</summary>
            private static string Label(string text) =>
                text.Replace("#", "#35;").Replace("\"", "#quot;").Replace("<", "#lt;").Replace(">", "#gt;").Replace("\r", " ").Replace("\n", " ");

            public override string ToString()
            {
                var all = new StringBuilder(_text.ToString());
                foreach (var edge in _edges) all.Append("    ").Append(edge).Append('\n');
                return all.ToString();
            }
        }
    }
}
