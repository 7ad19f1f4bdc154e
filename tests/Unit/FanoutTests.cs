using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Agno.Core;
using Xunit;
using static Agno.Tests.TestSupport;

namespace Agno.Tests
{
    /// <summary>Issue 11 in the engine: fed parallel nodes, retries, and Mermaid pictures.</summary>
    public class FanoutTests
    {
        [Fact]
        public async Task A_fed_node_runs_branches_added_while_it_runs_and_keeps_records_only_of_those_that_failed()
        {
            var feed = new BranchFeed(2);
            var node = new ParallelNode("fan", feed) { ThrottleLimit = 2, ErrorPolicy = ErrorPolicy.Continue };
            var session = AgnoSession.Create();
            var running = node.ExecuteAsync(session);
            for (int i = 1; i <= 50; i++)
            {
                Assert.True(await feed.AddAsync(i == 7 ? FailStep("item7") : SetStep("item" + i, "k" + i, i)).Guarded());
            }
            feed.Complete();
            var run = await running.Guarded();

            Assert.Equal(49, session.State.Count);
            Assert.Equal(50, feed.Added);
            Assert.Equal(NodeStatus.CompletedWithErrors, run.Status);
            Assert.Equal(new[] { "item7" }, run.Root.Children.Select(c => c.Name));
            Assert.Null(session.Output);
        }

        [Fact]
        public async Task A_fed_node_that_fails_closes_its_feed_so_that_a_waiting_producer_is_let_go()
        {
            var feed = new BranchFeed(1);
            var node = new ParallelNode("fan", feed) { ThrottleLimit = 1 };
            var session = AgnoSession.Create();
            var running = node.ExecuteAsync(session);
            Assert.True(await feed.AddAsync(FailStep("first")).Guarded());
            bool added = true;
            for (int i = 0; added && i < 10; i++) added = await feed.AddAsync(SetStep("more" + i, "k", i)).Guarded();

            Assert.False(added);
            Assert.True(feed.IsClosed);
            var e = await Assert.ThrowsAsync<ParallelFailedException>(() => running.Guarded());
            Assert.Equal("first", e.Failures.Single().Branch);
            Assert.Equal(0, session.State.Count);
        }

        [Fact]
        public async Task A_step_retries_from_the_same_state_and_records_each_attempt()
        {
            int attempts = 0;
            var step = new Step("flaky", s =>
            {
                int n = Interlocked.Increment(ref attempts);
                s.State.Set("attempt" + n, n);
                if (n < 3) throw new InvalidOperationException("down " + n);
            })
            { Retry = new RetryPolicy { RetryCount = 5 } };
            var session = AgnoSession.Create();

            var run = await step.ExecuteAsync(session).Guarded();

            Assert.Equal(new[] { "attempt3" }, session.State.Keys);
            Assert.Equal(new[] { 1, 2, 3 }, run.Root.Attempts.Select(a => a.Number));
            Assert.Equal("down 1", run.Root.Attempts[0].Error!.InnerException!.Message);
            Assert.Null(run.Root.Attempts[2].Error);
        }

        [Fact]
        public async Task RetryOn_decides_which_failures_are_retried()
        {
            int attempts = 0;
            var step = new Step("picky", s =>
            {
                Interlocked.Increment(ref attempts);
                throw new ArgumentException("not retried");
            })
            { Retry = new RetryPolicy { RetryCount = 3, RetryOn = e => e is InvalidOperationException } };

            await Assert.ThrowsAsync<StepFailedException>(() => step.ExecuteAsync(AgnoSession.Create()).Guarded());
            Assert.Equal(1, attempts);
        }

        [Theory]
        [InlineData(RetryBackoff.Fixed, 1, 0.0, 1000)]
        [InlineData(RetryBackoff.Fixed, 3, 0.9, 1000)]
        [InlineData(RetryBackoff.Exponential, 1, 0.5, 1000)]
        [InlineData(RetryBackoff.Exponential, 2, 0.5, 2000)]
        [InlineData(RetryBackoff.Exponential, 3, 0.0, 3000)]
        [InlineData(RetryBackoff.Exponential, 3, 1.0, 5000)]
        public void Retry_delays_double_with_a_quarter_of_jitter_or_stay_fixed(RetryBackoff backoff, int retry, double random, double expectedMs)
        {
            var policy = new RetryPolicy { RetryCount = 5, Delay = TimeSpan.FromSeconds(1), Backoff = backoff };
            Assert.Equal(expectedMs, policy.DelayBefore(retry, random).TotalMilliseconds, 3);
        }

        [Fact]
        public void Retry_delays_never_overflow()
        {
            var policy = new RetryPolicy { RetryCount = 1000, Delay = TimeSpan.FromHours(1) };
            Assert.Equal(TimeSpan.FromMilliseconds(int.MaxValue), policy.DelayBefore(1000, 1.0));
        }

        [Fact]
        public void A_flowchart_draws_steps_a_fan_out_and_join_and_nested_workflows()
        {
            var inner = new Workflow("inner").AddStep(SetStep("x", "x", 1));
            var parallel = new ParallelNode("fan").AddNode(SetStep("a", "a", 1)).AddNode(inner);
            var first = SetStep("first", "f", 1);
            first.Then(parallel).Then(SetStep("last", "l", 1));

            var text = MermaidWriter.Flowchart(first);

            Assert.Equal(string.Join("\n",
                "flowchart TD",
                "    n1[\"first\"]",
                "    n2[/\"fan\"\\]",
                "    n3[\"a\"]",
                "    subgraph w4[\"inner\"]",
                "        n5[\"x\"]",
                "    end",
                "    n6[\\\"merge fan\"/]",
                "    n7[\"last\"]",
                "    n2 --> n3",
                "    n3 --> n6",
                "    n2 --> n5",
                "    n5 --> n6",
                "    n1 --> n2",
                "    n6 --> n7",
                ""), text);
        }

        [Fact]
        public async Task A_gantt_tags_failed_nodes_crit_and_leaves_out_those_never_started()
        {
            var workflow = new Workflow("w").AddStep(SetStep("ok", "a", 1)).AddStep(FailStep("bad")).AddStep(SetStep("never", "b", 1));
            var e = await Assert.ThrowsAsync<StepFailedException>(() => workflow.ExecuteAsync(AgnoSession.Create()).Guarded());

            var lines = MermaidWriter.Gantt(e.Run!).Split('\n');

            Assert.Equal("gantt", lines[0]);
            Assert.Contains(lines, l => l.StartsWith("    ok :done, t1, ", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.StartsWith("    bad :crit, t2, ", StringComparison.Ordinal));
            Assert.DoesNotContain(lines, l => l.Contains("never"));
        }
    }
}
