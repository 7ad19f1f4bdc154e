using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Agno.Core;
using Xunit;

namespace Agno.Tests
{
    /// <summary>Conditions, loops, routers and an early stop, from C#; and the checkpoints a resume follows.</summary>
    public class ControlFlowTests
    {
        private static Func<AgnoSession, CancellationToken, Task<bool>> When(Func<AgnoState, bool> test) => (s, _) => Task.FromResult(test(s.State));

        private static Step Add(string name, string key, int by = 1) =>
            new Step(name, s => s.State.Set(key, (s.State.TryGet(key, out var v) ? (int)v! : 0) + by));

        [Fact]
        public async Task A_condition_runs_one_branch_records_its_decision_and_keeps_nothing_the_condition_changed()
        {
            var session = AgnoSession.Create();
            session.State.Set("used", 95);
            var check = new ConditionNode("check", (s, _) => { s.State.Set("sneaky", 1); return Task.FromResult((int)s.State.Get("used")! > 90); })
                .AddThen(TestSupport.SetStep("alert", "action", "alert"))
                .AddElse(TestSupport.SetStep("fine", "action", "none"));
            var run = await new Workflow("w").AddStep(check).ExecuteAsync(session).Guarded();
            Assert.Equal("alert", session.State.Get("action"));
            Assert.False(session.State.ContainsKey("sneaky"));
            Assert.Equal("Then", run.Steps.Single(n => n.Name == "check").Decision);
        }

        [Fact]
        public async Task A_loop_runs_until_its_condition_holds_with_a_record_per_iteration()
        {
            var session = AgnoSession.Create();
            var loop = new LoopNode("poll", 10) { Until = When(s => (int)s.Get("n")! >= 3) }.AddStep(Add("inc", "n"));
            var run = await loop.ExecuteAsync(session).Guarded();
            Assert.Equal(3, session.State.Get("n"));
            Assert.Equal(new[] { "#1", "#2", "#3" }, run.Root.Children.Select(c => c.Name));
            Assert.Contains("after iteration 3", run.Root.Decision);
        }

        [Fact]
        public async Task A_loop_that_reaches_its_maximum_completes_with_a_note_or_fails_when_told_to()
        {
            var session = AgnoSession.Create();
            var loop = new LoopNode("never", 2) { Until = When(_ => false) }.AddStep(Add("inc", "n"));
            var run = await loop.ExecuteAsync(session).Guarded();
            Assert.Equal(NodeStatus.Completed, run.Status);
            Assert.Contains("maximum of 2", run.Root.Note);
            loop.FailOnMaxIterations = true;
            var e = await Assert.ThrowsAsync<LoopLimitException>(() => loop.ExecuteAsync(session)).Guarded();
            Assert.Equal("AgnoLoopLimit", e.ErrorId);
            Assert.Equal(4, session.State.Get("n")); // what the iterations committed stays
        }

        [Fact]
        public async Task A_loop_asks_While_before_each_iteration_and_may_run_none()
        {
            var session = AgnoSession.Create();
            var loop = new LoopNode("drain", 5) { While = When(_ => false) }.AddStep(Add("inc", "n"));
            var run = await loop.ExecuteAsync(session).Guarded();
            Assert.False(session.State.ContainsKey("n"));
            Assert.Empty(run.Root.Children);
        }

        [Fact]
        public async Task A_router_runs_the_named_routes_in_order_and_refuses_an_unknown_one_listing_the_routes()
        {
            var session = AgnoSession.Create();
            var router = new RouterNode("by-os", (_, _) => Task.FromResult<IReadOnlyList<string>>(new[] { "report", "linux" }))
                .AddRoute("linux", new[] { TestSupport.SetStep("patch", "patched", "linux") })
                .AddRoute("report", new WorkflowNode[] { TestSupport.SetStep("collect", "report", 1) });
            var run = await router.ExecuteAsync(session).Guarded();
            Assert.Equal(new[] { "report", "linux" }, run.Root.Children.Select(c => c.Name));
            Assert.Equal("linux", session.State.Get("patched"));

            var unknown = new RouterNode("r", (_, _) => Task.FromResult<IReadOnlyList<string>>(new[] { "macos" }))
                .AddRoute("linux", new[] { TestSupport.SetStep("patch", "patched", "linux") });
            var e = await Assert.ThrowsAsync<RouteNotFoundException>(() => unknown.ExecuteAsync(session)).Guarded();
            Assert.Contains("'linux'", e.Message);
            Assert.Equal("macos", e.Target);
        }

        [Fact]
        public async Task A_step_that_stops_the_run_commits_and_nothing_after_it_runs()
        {
            var session = AgnoSession.Create();
            var wf = new Workflow("w")
                .AddStep(new Step("check", s => { s.State.Set("checked", 1); s.StopRun("done early"); }))
                .AddStep(TestSupport.SetStep("after", "after", 1));
            var run = await wf.ExecuteAsync(session).Guarded();
            Assert.Equal(NodeStatus.Stopped, run.Status);
            Assert.Equal("done early", run.StopReason);
            Assert.Equal(1, session.State.Get("checked"));
            Assert.False(session.State.ContainsKey("after"));
            Assert.False(run.IsUnfinished);
            Assert.Throws<InvalidOperationException>(() => session.StopRun());
        }

        [Fact]
        public async Task A_branch_that_stops_a_run_whose_root_is_a_parallel_node_ends_it_stopped_and_no_later_branch_starts()
        {
            var session = AgnoSession.Create();
            var parallel = new ParallelNode("fan") { ThrottleLimit = 1 }
                .AddNode(TestSupport.SetStep("first", "first", 1))
                .AddNode(new Step("stopper", s => { s.State.Set("stopped", 1); s.StopRun("enough"); }))
                .AddNode(TestSupport.SetStep("later", "later", 1));
            var run = await parallel.ExecuteAsync(session).Guarded();
            Assert.Equal(NodeStatus.Stopped, run.Status);
            Assert.Equal("enough", run.StopReason);
            Assert.Equal(new[] { "first", "stopped" }, session.State.Keys.OrderBy(k => k));
            Assert.Equal(NodeStatus.Skipped, run.Root.Children.Single(n => n.Name == "later").Status);
        }

        [Fact]
        public async Task A_resumed_run_skips_completed_iterations_and_replays_recorded_answers_in_memory()
        {
            var session = AgnoSession.Create();
            int asked = 0;
            bool failOnce = true;
            var body = new Step("work", s =>
            {
                int i = (s.State.TryGet("i", out var v) ? (int)v! : 0) + 1;
                if (i == 3 && failOnce) { failOnce = false; throw new InvalidOperationException("third iteration fails once"); }
                s.State.Set("i", i);
                s.State.Set("ran_" + i, (s.State.TryGet("ran_" + i, out var r) ? (int)r! : 0) + 1);
            });
            var loop = new LoopNode("poll", 10) { Until = (s, _) => { asked++; return Task.FromResult((int)s.State.Get("i")! >= 4); } }.AddStep(body);
            var wf = new Workflow("w").AddStep(loop);
            await Assert.ThrowsAnyAsync<AgnoException>(() => wf.ExecuteAsync(session)).Guarded();
            Assert.Equal(2, asked);

            var resumed = await wf.ExecuteAsync(session, options: new RunOptions { Resume = true }).Guarded();
            Assert.True(resumed.IsResumed);
            Assert.Equal(new object[] { 1, 1, 1, 1 }, Enumerable.Range(1, 4).Select(i => session.State.Get("ran_" + i)));
            Assert.Equal(4, asked); // iterations 1 and 2 were not asked about again: only 3 and 4
            Assert.Equal(NodeStatus.Skipped, resumed.Steps.Single(n => n.Path == "w/poll/#1/work").Status);
        }

        [Fact]
        public void Nodes_of_one_branch_need_distinct_names()
        {
            var check = new ConditionNode("c", When(_ => true)).AddThen(TestSupport.SetStep("a", "k", 1));
            Assert.Throws<ArgumentException>(() => check.AddThen(TestSupport.SetStep("a", "k", 2)));
            Assert.Single(check.ThenNodes);
            check.AddElse(TestSupport.SetStep("a", "k", 3)); // another branch may reuse a name: only one runs
        }
    }
}
