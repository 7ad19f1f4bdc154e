using System.Collections.Generic;
using System.Threading.Tasks;
using Agno.Core;
using Xunit;

namespace Agno.Tests
{
    /// <summary>The seed design's three examples, with the results the product brief defines.</summary>
    public class SeedExampleTests
    {
        [Fact]
        public void Basic_use_stores_and_reads_values_with_their_types()
        {
            var session = AgnoSession.Create("session-123", "user-456", "initial input");
            session.State.Set("user_name", "Alice");
            session.State.Set("user_age", 30);
            session.State.Set("preferences", new Dictionary<string, string> { ["language"] = "zh-CN", ["theme"] = "dark" });

            Assert.Equal("Alice", session.State.Get("user_name"));
            Assert.IsType<int>(session.State.Get("user_age"));
            Assert.Equal(30, session.State.Get("user_age"));
            var prefs = Assert.IsType<Dictionary<string, string>>(session.State.Get("preferences"));
            Assert.Equal("dark", prefs["theme"]);
            Assert.Equal("session-123", session.SessionId);
            Assert.Equal("user-456", session.UserId);
        }

        [Fact]
        public async Task Two_step_workflow_passes_state_from_step_to_step()
        {
            var step1 = new Step("get-user", s => s.State.Set("user_info", new Dictionary<string, object> { ["id"] = "user-123", ["name"] = "Alice" }));
            var step2 = new Step("get-orders", s =>
            {
                var info = (Dictionary<string, object>)s.State.Get("user_info")!;
                s.State.Set("orders", new List<string> { "order-1", "order-2", "order-3" });
                s.Output = $"Got 3 orders for user {info["id"]}";
            });
            step1.Then(step2);
            var wf = new Workflow("user-workflow").AddStep(step1);
            var session = AgnoSession.Create("session-123", "user-456", "");

            var run = await wf.ExecuteAsync(session);

            Assert.Equal(NodeStatus.Completed, run.Status);
            Assert.Equal(new List<string> { "order-1", "order-2", "order-3" }, session.State.Get("orders"));
            Assert.Equal("Got 3 orders for user user-123", session.Output);
            Assert.Equal(new[] { "get-user", "get-orders" }, new[] { run.Steps[0].Name, run.Steps[1].Name });
        }

        [Fact]
        public async Task Three_parallel_branches_writing_counter_merge_in_branch_order()
        {
            var parallel = new ParallelNode("fan-out");
            foreach (var (name, n) in new[] { ("branch-a", 1), ("branch-b", 2), ("branch-c", 3) })
            {
                parallel.AddNode(new Step(name, s =>
                {
                    s.State.Set("counter", n);
                    s.State.Set(name.Replace('-', '_') + "_result", "done");
                }));
            }
            var session = AgnoSession.Create("session-123", "user-456", "");

            var run = await parallel.ExecuteAsync(session);

            Assert.Equal(3, session.State.Get("counter")); // always the last branch in order, never a race
            Assert.Equal("done", session.State.Get("branch_a_result"));
            Assert.Equal("done", session.State.Get("branch_b_result"));
            Assert.Equal("done", session.State.Get("branch_c_result"));
            var conflict = Assert.Single(run.Conflicts);
            Assert.Equal("counter", conflict.Key);
            Assert.Equal(new[] { "branch-a", "branch-b", "branch-c" }, conflict.Branches);
            Assert.Equal("branch-c", conflict.Winner);
        }
    }
}
