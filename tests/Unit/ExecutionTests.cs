using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Agno.Core;
using Xunit;
using static Agno.Tests.TestSupport;

namespace Agno.Tests
{
    public class ExecutionTests
    {
        private static AgnoSession SessionWith(params (string Key, object? Value)[] entries)
        {
            var session = AgnoSession.Create();
            foreach (var (k, v) in entries) session.State.Set(k, v);
            return session;
        }

        /// <summary>A step that sets a key, says it started, then waits on its token for ever.</summary>
        private static Step WaitingStep(string name, TaskCompletionSource started, TaskCompletionSource? observedCancel = null) =>
            new Step(name, async (s, ct) =>
            {
                s.State.Set(name + "_partial", 1);
                started.TrySetResult();
                try
                {
                    await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    observedCancel?.TrySetResult();
                    throw;
                }
            });

        // ---- steps ----

        [Fact]
        public async Task Step_commits_its_changes_when_it_completes()
        {
            var session = SessionWith(("gone", 1));
            var step = new Step("s", s => { s.State.Set("a", 1); s.State.Remove("gone"); });

            var run = await step.ExecuteAsync(session).Guarded();

            Assert.Equal(1, session.State.Get("a"));
            Assert.False(session.State.ContainsKey("gone"));
            Assert.Equal(NodeStatus.Completed, run.Status);
            Assert.Equal(new[] { "a", "gone" }, run.Root.KeysChanged.OrderBy(k => k));
        }

        [Fact]
        public async Task Step_is_atomic_a_failing_step_leaves_no_partial_changes()
        {
            var session = SessionWith(("a", 0), ("keep", 1));
            var step = new Step("half", s =>
            {
                s.State.Set("a", 1);
                s.State.Set("b", 2);
                s.State.Remove("keep");
                throw new InvalidOperationException("halfway");
            });

            var e = await Assert.ThrowsAsync<StepFailedException>(() => step.ExecuteAsync(session)).Guarded();

            Assert.Equal("half", e.StepName);
            Assert.Equal("AgnoStepFailed", e.ErrorId);
            Assert.Equal("Step 'half' failed: halfway", e.Message);
            Assert.IsType<InvalidOperationException>(e.InnerException);
            Assert.Equal(0, session.State.Get("a"));
            Assert.False(session.State.ContainsKey("b"));
            Assert.Equal(1, session.State.Get("keep"));
            Assert.Equal(NodeStatus.Failed, e.Run!.Status);
            Assert.Same(e, e.Run.Error);
        }

        [Fact]
        public async Task Step_whose_async_body_throws_before_returning_a_task_fails_cleanly()
        {
            var session = AgnoSession.Create();
            var step = new Step("sync-throw", (s, ct) => throw new FormatException("early"));
            var e = await Assert.ThrowsAsync<StepFailedException>(() => step.ExecuteAsync(session)).Guarded();
            Assert.IsType<FormatException>(e.InnerException);
        }

        [Fact]
        public async Task Step_whose_body_returns_a_null_task_completes()
        {
            var session = AgnoSession.Create();
            var step = new Step("null-task", (s, ct) => { s.State.Set("a", 1); return null!; });
            var run = await step.ExecuteAsync(session).Guarded();
            Assert.Equal(NodeStatus.Completed, run.Status);
            Assert.Equal(1, session.State.Get("a"));
        }

        [Fact]
        public async Task Step_gets_its_own_session_with_the_callers_ids_input_and_metadata()
        {
            var session = AgnoSession.Create("sid", "uid", "the input");
            session.Metadata["m"] = 1;
            AgnoSession? seen = null;
            var step = new Step("inspect", s =>
            {
                seen = s;
                s.Metadata["fromStep"] = true;
            });

            await step.ExecuteAsync(session).Guarded();

            Assert.NotNull(seen);
            Assert.NotSame(session, seen);
            Assert.Same(session, seen!.Parent);
            Assert.Equal("inspect", seen.NodeName);
            Assert.Equal("sid", seen.SessionId);
            Assert.Equal("uid", seen.UserId);
            Assert.Equal("the input", seen.Input);
            Assert.Equal(1, seen.Metadata["m"]);
            Assert.True(seen.State.IsFork);
            Assert.False(session.Metadata.ContainsKey("fromStep")); // a step's metadata is its own copy
            Assert.Equal(true, seen.Metadata["fromStep"]);
        }

        [Fact]
        public void Nodes_refuse_bad_construction()
        {
            Assert.Throws<ArgumentException>(() => new Step(" ", s => { }));
            Assert.Throws<ArgumentException>(() => new Workflow(""));
            Assert.Throws<ArgumentException>(() => new ParallelNode(null!));
            Assert.Throws<ArgumentNullException>(() => new Step("s", (Action<AgnoSession>)null!));
            Assert.Throws<ArgumentNullException>(() => new Step("s", (Func<AgnoSession, CancellationToken, Task>)null!));
            Assert.Throws<ArgumentNullException>(() => new Workflow("w").AddStep(null!));
            Assert.Throws<ArgumentNullException>(() => new ParallelNode("p").AddNode(null!));
        }

        [Fact]
        public void Timeouts_and_throttle_limits_must_be_positive()
        {
            var step = new Step("s", s => { });
            Assert.Throws<ArgumentOutOfRangeException>(() => step.Timeout = TimeSpan.Zero);
            Assert.Throws<ArgumentOutOfRangeException>(() => step.Timeout = TimeSpan.FromSeconds(-1));
            step.Timeout = TimeSpan.FromSeconds(1);
            step.Timeout = null;
            Assert.Null(step.Timeout);

            var parallel = new ParallelNode("p");
            Assert.Throws<ArgumentOutOfRangeException>(() => parallel.ThrottleLimit = 0);
            parallel.ThrottleLimit = 1;
            parallel.ThrottleLimit = null;
            Assert.Null(parallel.ThrottleLimit);
        }

        [Fact]
        public void A_node_carries_an_optional_description()
        {
            var step = new Step("s", s => { });
            Assert.Null(step.Description);
            step.Description = "fetches the user";
            Assert.Equal("fetches the user", step.Description);
        }

        [Fact]
        public async Task ExecuteAsync_refuses_a_null_session()
        {
            await Assert.ThrowsAsync<ArgumentNullException>(() => new Step("s", s => { }).ExecuteAsync(null!)).Guarded();
        }

        // ---- workflows ----

        [Fact]
        public async Task Workflow_applies_each_step_before_the_next_starts()
        {
            var session = AgnoSession.Create();
            var wf = new Workflow("wf")
                .AddStep(SetStep("s1", "n", 1))
                .AddStep(new Step("s2", s => s.State.Set("n", (int)s.State.Get("n")! + 1)))
                .AddStep(new Step("s3", s => s.Output = s.State.Get("n")));

            var run = await wf.ExecuteAsync(session).Guarded();

            Assert.Equal(2, session.State.Get("n"));
            Assert.Equal(2, session.Output);
            Assert.Equal(new[] { "s1", "s2", "s3" }, run.Steps.Select(r => r.Name));
            Assert.All(run.Steps, r => Assert.Equal(NodeStatus.Completed, r.Status));
        }

        [Fact]
        public async Task Workflow_failure_keeps_completed_steps_changes_and_names_the_step()
        {
            var session = AgnoSession.Create();
            var wf = new Workflow("wf")
                .AddStep(SetStep("s1", "a", 1))
                .AddStep(new Step("s2", s => { s.State.Set("b", 2); throw new InvalidOperationException("step two broke"); }))
                .AddStep(SetStep("s3", "c", 3));

            var e = await Assert.ThrowsAsync<StepFailedException>(() => wf.ExecuteAsync(session)).Guarded();

            Assert.Equal("s2", e.StepName);
            Assert.Contains("'s2'", e.Message);
            Assert.Contains("step two broke", e.Message);
            Assert.Equal(1, session.State.Get("a"));
            Assert.False(session.State.ContainsKey("b"));
            Assert.False(session.State.ContainsKey("c"));
            var run = e.Run!;
            Assert.Equal(NodeStatus.Failed, run.Status);
            Assert.Equal(new[] { NodeStatus.Completed, NodeStatus.Failed, NodeStatus.Pending }, run.Steps.Select(r => r.Status));
            Assert.Same(e, run.Steps[1].Error);
            Assert.Same(run, Assert.Single(session.History));
        }

        [Fact]
        public async Task Workflow_refuses_two_steps_with_one_name()
        {
            var wf = new Workflow("wf").AddStep(SetStep("same", "a", 1));
            var e = Assert.Throws<ArgumentException>(() => wf.AddStep(SetStep("SAME", "b", 2)));
            Assert.Contains("'SAME'", e.Message, StringComparison.OrdinalIgnoreCase);
            Assert.Single(wf.Steps); // the refused step was not kept

            // A chain grown with Then after the steps were added is checked again when the workflow runs.
            var first = SetStep("first", "a", 1);
            var chained = new Workflow("chained").AddStep(first);
            first.Then(SetStep("first", "b", 2));
            var session = AgnoSession.Create();
            await Assert.ThrowsAsync<ArgumentException>(() => chained.ExecuteAsync(session)).Guarded();
            Assert.Equal(0, session.State.Count);
            Assert.Equal(NodeStatus.Failed, Assert.Single(session.History).Status);
        }

        [Fact]
        public async Task Workflow_output_is_the_last_steps_output()
        {
            var session = AgnoSession.Create();
            var wf = new Workflow("wf")
                .AddStep(new Step("s1", s => s.Output = "first"))
                .AddStep(new Step("s2", s => s.Output = "second"));
            await wf.ExecuteAsync(session).Guarded();
            Assert.Equal("second", session.Output);
        }

        [Fact]
        public async Task A_step_that_sets_no_output_passes_the_previous_output_on()
        {
            var session = AgnoSession.Create();
            var wf = new Workflow("wf")
                .AddStep(new Step("s1", s => s.Output = "first"))
                .AddStep(SetStep("s2", "a", 1));
            await wf.ExecuteAsync(session).Guarded();
            Assert.Equal("first", session.Output);
        }

        // ---- Then ----

        [Fact]
        public async Task Then_chains_steps_that_run_in_order()
        {
            var a = SetStep("a", "n", 1);
            var b = new Step("b", s => s.State.Set("n", (int)s.State.Get("n")! * 10));
            var c = new Step("c", s => s.Output = s.State.Get("n"));
            Assert.Same(c, a.Then(b).Then(c));
            Assert.Same(b, a.Next);
            Assert.Equal(new WorkflowNode[] { a, b, c }, a.Chain());
            var session = AgnoSession.Create();

            var run = await a.ExecuteAsync(session).Guarded();

            Assert.Equal(10, session.Output);
            Assert.Equal(NodeKind.Sequence, run.Root.Kind);
            Assert.Equal(NodeStatus.Completed, run.Status);
            Assert.Equal(new[] { "a", "b", "c" }, run.Steps.Select(s => s.Name));
        }

        [Fact]
        public async Task A_failing_chain_run_directly_is_recorded_as_failed()
        {
            var a = SetStep("a", "n", 1);
            a.Then(FailStep("b"));
            var session = AgnoSession.Create();
            var e = await Assert.ThrowsAsync<StepFailedException>(() => a.ExecuteAsync(session)).Guarded();
            Assert.Equal(NodeStatus.Failed, e.Run!.Status);
            Assert.Equal(NodeKind.Sequence, e.Run.Root.Kind);
            Assert.Equal(1, session.State.Get("n"));
        }

        [Fact]
        public void Then_loop_is_refused()
        {
            var a = new Step("a", s => { });
            var b = new Step("b", s => { });
            a.Then(b);
            var e = Assert.Throws<InvalidOperationException>(() => b.Then(a));
            Assert.Contains("loop", e.Message);
            Assert.Null(b.Next);
            Assert.Equal(new WorkflowNode[] { a, b }, a.Chain());

            var self = new Step("self", s => { });
            Assert.Throws<InvalidOperationException>(() => self.Then(self));
            Assert.Null(self.Next);
            Assert.Throws<ArgumentNullException>(() => self.Then(null!));
        }

        [Fact]
        public void A_refused_Then_leaves_the_existing_chain_intact()
        {
            var a = new Step("a", s => { });
            var b = new Step("b", s => { });
            var x = new Step("x", s => { });
            a.Then(b);
            b.Then(x);

            Assert.Throws<InvalidOperationException>(() => b.Then(a));

            Assert.Same(x, b.Next);
            Assert.Equal(new WorkflowNode[] { a, b, x }, a.Chain());
        }

        [Fact]
        public async Task Workflow_spells_out_the_chains_of_its_steps()
        {
            var a = SetStep("a", "x", 1);
            a.Then(SetStep("b", "y", 2));
            var wf = new Workflow("wf").AddStep(a).AddStep(SetStep("c", "z", 3));
            var run = await wf.ExecuteAsync(AgnoSession.Create()).Guarded();
            Assert.Equal(new[] { "a", "b", "c" }, run.Steps.Select(s => s.Name));
            Assert.Single(wf.Steps.Skip(1));
        }

        // ---- parallel ----

        [Fact]
        public void Parallel_refuses_duplicate_branch_names()
        {
            var parallel = new ParallelNode("p").AddNode(new Step("Branch", s => { }));
            var e = Assert.Throws<ArgumentException>(() => parallel.AddNode(new Step("BRANCH", s => { })));
            Assert.Contains("'BRANCH'", e.Message);
            Assert.Single(parallel.Branches);
        }

        [Fact]
        public async Task Parallel_outputs_are_in_branch_order()
        {
            var names = new[] { "x", "y", "z" };
            var order = new CompletionOrder(new[] { "z", "x", "y" });
            var parallel = new ParallelNode("p");
            foreach (var n in names)
            {
                parallel.AddNode(new Step(n, async (s, ct) => { await order.TurnOf(n); s.Output = n.ToUpperInvariant(); }));
            }
            var session = AgnoSession.Create();
            await parallel.ExecuteAsync(session, options: new RunOptions { Observer = order }).Guarded();
            Assert.Equal(new[] { "z", "x", "y" }, order.Completed);
            Assert.Equal(new object[] { "X", "Y", "Z" }, (object?[])session.Output!);
        }

        [Fact]
        public async Task Parallel_branches_each_see_the_state_as_it_was_at_the_fork()
        {
            var session = SessionWith(("n", 1));
            var seen = new int[2];
            var parallel = new ParallelNode("p")
                .AddNode(new Step("a", s => { seen[0] = (int)s.State.Get("n")!; s.State.Set("n", 100); }))
                .AddNode(new Step("b", s => { seen[1] = (int)s.State.Get("n")!; s.State.Set("m", 2); }));
            await parallel.ExecuteAsync(session).Guarded();
            Assert.Equal(new[] { 1, 1 }, seen);
            Assert.Equal(100, session.State.Get("n"));
        }

        [Fact]
        public async Task Parallel_of_no_branches_completes_with_no_output()
        {
            var session = AgnoSession.Create();
            var run = await new ParallelNode("empty").ExecuteAsync(session).Guarded();
            Assert.Equal(NodeStatus.Completed, run.Status);
            Assert.Empty((object?[])session.Output!);
        }

        [Fact]
        public async Task Parallel_stop_policy_cancels_siblings_and_merges_nothing()
        {
            var session = SessionWith(("base", 1));
            var waiterStarted = NewGate();
            var waiterCancelled = NewGate();
            var parallel = new ParallelNode("p")
                .AddNode(WaitingStep("waiter", waiterStarted, waiterCancelled))
                .AddNode(new Step("failer", async (s, ct) =>
                {
                    await waiterStarted.Task.ConfigureAwait(false);
                    s.State.Set("failer_partial", 1);
                    throw new InvalidOperationException("failer broke");
                }))
                .AddNode(SetStep("fine", "fine", 1));

            var e = await Assert.ThrowsAsync<ParallelFailedException>(() => parallel.ExecuteAsync(session)).Guarded();

            await waiterCancelled.Task.Guarded(); // the sibling saw its token cancelled
            var failure = Assert.Single(e.Failures);
            Assert.Equal("failer", failure.Branch);
            Assert.Equal(1, failure.Index);
            Assert.Equal(new[] { "base" }, session.State.Keys);
            var records = e.Run!.Root.Children;
            Assert.Equal(NodeStatus.Cancelled, records[0].Status);
            Assert.Equal(NodeStatus.Failed, records[1].Status);
            Assert.Equal(NodeStatus.Failed, e.Run.Status);
        }

        [Fact]
        public async Task Parallel_failure_lists_every_failed_branch_in_branch_order_with_inner_exceptions()
        {
            var session = AgnoSession.Create();
            using var bothFailing = new CountdownEvent(2);
            var parallel = new ParallelNode("fan")
                // Bodies that fail before returning their task: both failures exist before either cancels the other.
                .AddNode(new Step("first", (s, ct) =>
                {
                    bothFailing.Signal();
                    bothFailing.Wait(HangGuard);
                    throw new InvalidOperationException("first broke");
                }))
                .AddNode(WaitingStep("middle", NewGate()))
                .AddNode(new Step("last", (s, ct) =>
                {
                    bothFailing.Signal();
                    bothFailing.Wait(HangGuard);
                    throw new FormatException("last broke");
                }));

            var e = await Assert.ThrowsAsync<ParallelFailedException>(() => parallel.ExecuteAsync(session)).Guarded();

            Assert.Equal("fan", e.NodeName);
            Assert.Equal("AgnoParallelFailed", e.ErrorId);
            Assert.Equal(new[] { "first", "last" }, e.Failures.Select(f => f.Branch));
            Assert.Equal(new[] { 0, 2 }, e.Failures.Select(f => f.Index));
            var inner = e.InnerExceptions.Cast<StepFailedException>().ToList();
            Assert.IsType<InvalidOperationException>(inner[0].InnerException);
            Assert.IsType<FormatException>(inner[1].InnerException);
            Assert.Same(e.Failures[0].Error, e.InnerException);
            Assert.Contains("2 branch(es) failed", e.Message);
            Assert.Contains("'first': Step 'first' failed: first broke", e.Message);
            Assert.Contains("'last': Step 'last' failed: last broke", e.Message);
            Assert.Contains("nothing was merged", e.Message);
            Assert.Equal(NodeStatus.Cancelled, e.Run!.Root.Children[1].Status);
            Assert.Equal(0, session.State.Count);
        }

        [Fact]
        public async Task Parallel_continue_policy_merges_successful_branches_and_records_failures()
        {
            var session = AgnoSession.Create();
            var parallel = new ParallelNode("p") { ErrorPolicy = ErrorPolicy.Continue }
                .AddNode(new Step("a", s => { s.State.Set("x", 1); s.Output = "A"; }))
                .AddNode(new Step("bad", s => { s.State.Set("y", 1); throw new InvalidOperationException("bad branch"); }))
                .AddNode(new Step("c", s => { s.State.Set("z", 1); s.Output = "C"; }));

            var run = await parallel.ExecuteAsync(session).Guarded();

            Assert.Equal(NodeStatus.CompletedWithErrors, run.Status);
            Assert.Equal(new[] { "x", "z" }, session.State.Keys);
            var failed = Assert.Single(run.Failures);
            Assert.Equal("bad", failed.Name);
            Assert.Equal(NodeStatus.Failed, failed.Status);
            Assert.IsType<StepFailedException>(failed.Error);
            Assert.Equal(new object[] { "A", "C" }, (object?[])session.Output!);
            Assert.Equal(new[] { "x", "z" }, run.Root.KeysChanged.OrderBy(k => k));
        }

        [Fact]
        public async Task Parallel_continue_policy_reports_a_branch_whose_nested_merge_failed()
        {
            var session = AgnoSession.Create();
            var inner = new ParallelNode("inner") { MergePolicy = new MergePolicy { Strategy = MergeStrategy.Fail } }
                .AddNode(SetStep("i1", "k", 1))
                .AddNode(SetStep("i2", "k", 2));
            var parallel = new ParallelNode("p") { ErrorPolicy = ErrorPolicy.Continue }
                .AddNode(SetStep("ok", "a", 1))
                .AddNode(inner);

            var run = await parallel.ExecuteAsync(session).Guarded();

            Assert.Equal(NodeStatus.CompletedWithErrors, run.Status);
            Assert.Equal(new[] { "a" }, session.State.Keys);
            var failed = Assert.Single(run.Failures);
            Assert.Equal("inner", failed.Name);
            Assert.IsType<MergeConflictException>(failed.Error);
        }

        [Fact]
        public async Task Parallel_continue_policy_reports_a_timed_out_branch_as_a_failure()
        {
            var session = AgnoSession.Create();
            var slow = WaitingStep("slow", NewGate());
            slow.Timeout = TimeSpan.FromMilliseconds(30);
            var parallel = new ParallelNode("p") { ErrorPolicy = ErrorPolicy.Continue }
                .AddNode(slow)
                .AddNode(SetStep("quick", "q", 1));

            var run = await parallel.ExecuteAsync(session).Guarded();

            var failed = Assert.Single(run.Failures);
            Assert.Equal(NodeStatus.TimedOut, failed.Status);
            Assert.IsType<TimedOutException>(failed.Error);
            Assert.Equal(new[] { "q" }, session.State.Keys);
        }

        [Fact]
        public async Task Parallel_stop_policy_cancels_branches_still_waiting_for_the_throttle()
        {
            var session = AgnoSession.Create();
            var parallel = new ParallelNode("p") { ThrottleLimit = 1 }
                .AddNode(FailStep("one"))
                .AddNode(FailStep("two"));

            var e = await Assert.ThrowsAsync<ParallelFailedException>(() => parallel.ExecuteAsync(session)).Guarded();

            // Whichever ran first failed; the other never got the slot.
            Assert.Single(e.Failures);
            var statuses = e.Run!.Root.Children.Select(c => c.Status).OrderBy(s => s).ToList();
            Assert.Equal(new[] { NodeStatus.Failed, NodeStatus.Cancelled }, statuses);
        }

        [Fact]
        public async Task Parallel_respects_its_throttle_limit()
        {
            const int branches = 8, limit = 3;
            int active = 0, max = 0;
            using var entered = new SemaphoreSlim(0);
            using var proceed = new SemaphoreSlim(0);
            var parallel = new ParallelNode("p") { ThrottleLimit = limit };
            for (int i = 0; i < branches; i++)
            {
                int n = i;
                parallel.AddNode(new Step("b" + n, async (s, ct) =>
                {
                    int now = Interlocked.Increment(ref active);
                    int seen;
                    while (now > (seen = Volatile.Read(ref max)) && Interlocked.CompareExchange(ref max, now, seen) != seen) { }
                    entered.Release();
                    try
                    {
                        await proceed.WaitAsync(ct).ConfigureAwait(false);
                        s.State.Set("k" + n, n);
                    }
                    finally
                    {
                        Interlocked.Decrement(ref active);
                    }
                }));
            }
            var session = AgnoSession.Create();

            var running = parallel.ExecuteAsync(session);
            for (int i = 0; i < limit; i++) await entered.WaitAsync().Guarded();
            Assert.Equal(limit, Volatile.Read(ref active));
            for (int i = limit; i < branches; i++)
            {
                proceed.Release();                      // one branch may finish...
                await entered.WaitAsync().Guarded();    // ...and only then does the next one start
            }
            proceed.Release(limit);
            await running.Guarded();

            Assert.Equal(limit, max);
            Assert.Equal(branches, session.State.Count);
        }

        [Fact]
        public async Task Parallel_branch_chained_with_Then_runs_as_a_sequence_on_its_own_fork()
        {
            var head = SetStep("head", "n", 1);
            head.Then(new Step("tail", s => s.State.Set("n2", (int)s.State.Get("n")! + 1)));
            var parallel = new ParallelNode("p").AddNode(head).AddNode(SetStep("other", "o", 1));
            var session = AgnoSession.Create();

            var run = await parallel.ExecuteAsync(session).Guarded();

            Assert.Equal(2, session.State.Get("n2"));
            var sequence = run.Root.Children[0];
            Assert.Equal(NodeKind.Sequence, sequence.Kind);
            Assert.Equal(NodeStatus.Completed, sequence.Status);
            Assert.Equal(new[] { "head", "tail" }, sequence.Children.Select(c => c.Name));
            Assert.Equal("p/head/tail", sequence.Children[1].Path);
        }

        [Fact]
        public async Task Parallel_chain_branch_failure_and_cancellation_are_recorded_on_the_sequence()
        {
            var started = NewGate();
            var waiting = WaitingStep("w1", started);
            waiting.Then(SetStep("w2", "never", 1));
            var failing = new Step("f1", async (s, ct) => { await started.Task; });
            failing.Then(FailStep("f2"));
            var parallel = new ParallelNode("p").AddNode(waiting).AddNode(failing);

            var e = await Assert.ThrowsAsync<ParallelFailedException>(() => parallel.ExecuteAsync(AgnoSession.Create())).Guarded();

            var children = e.Run!.Root.Children;
            Assert.Equal(NodeStatus.Cancelled, children[0].Status);
            Assert.Equal(NodeStatus.Failed, children[1].Status);
            Assert.Equal(new[] { NodeStatus.Cancelled, NodeStatus.Pending }, children[0].Children.Select(c => c.Status));
            Assert.Equal("f1", Assert.Single(e.Failures).Branch);
        }

        [Fact]
        public async Task Nested_parallel_inside_a_workflow_inside_a_parallel_merges_correctly()
        {
            var inner = new ParallelNode("inner")
                .AddNode(new Step("q1", s => s.State.Set("qa", (int)s.State.Get("a")! + 1)))
                .AddNode(SetStep("q2", "qb", 2));
            var wf = new Workflow("wf")
                .AddStep(SetStep("w1", "a", 1))
                .AddStep(inner)
                .AddStep(new Step("w3", s =>
                {
                    s.State.Set("sum", (int)s.State.Get("qa")! + (int)s.State.Get("qb")!);
                    s.State.Set("shared", "wf");
                }));
            var outer = new ParallelNode("outer")
                .AddNode(wf)
                .AddNode(new Step("side", s => { s.State.Set("side", true); s.State.Set("shared", "side"); }));
            var session = SessionWith(("shared", "base"));

            var run = await outer.ExecuteAsync(session).Guarded();

            Assert.Equal(1, session.State.Get("a"));
            Assert.Equal(2, session.State.Get("qa"));
            Assert.Equal(2, session.State.Get("qb"));
            Assert.Equal(4, session.State.Get("sum"));
            Assert.Equal(true, session.State.Get("side"));
            Assert.Equal("side", session.State.Get("shared"));
            var conflict = Assert.Single(run.Conflicts);
            Assert.Equal(new[] { "wf", "side" }, conflict.Branches);
            Assert.Equal(new[] { "outer/wf", "outer/wf/w1", "outer/wf/inner", "outer/wf/inner/q1", "outer/wf/inner/q2", "outer/wf/w3", "outer/side" },
                run.Steps.Select(s => s.Path));
            Assert.All(run.Steps, s => Assert.Equal(NodeStatus.Completed, s.Status));
            var innerRecord = run.Steps.Single(s => s.Name == "inner");
            Assert.Equal(NodeKind.Parallel, innerRecord.Kind);
            Assert.Equal(new[] { "qa", "qb" }, innerRecord.KeysChanged.OrderBy(k => k));
        }

        // ---- timeouts and cancellation ----

        [Fact]
        public async Task A_step_that_runs_elsewhere_names_where_in_its_failure_and_timeout()
        {
            var session = AgnoSession.Create();
            var failing = new Step("patch", s => throw new InvalidOperationException("no disk")) { Location = "on host 'web1'" };
            var slow = new Step("wait", (s, ct) => Task.Delay(Timeout.Infinite, ct)) { Location = "on host 'web1'", Timeout = TimeSpan.FromMilliseconds(50) };

            var failed = await Assert.ThrowsAsync<StepFailedException>(() => failing.ExecuteAsync(session)).Guarded();
            var timedOut = await Assert.ThrowsAsync<TimedOutException>(() => slow.ExecuteAsync(session)).Guarded();

            Assert.Equal("Step 'patch' failed on host 'web1': no disk", failed.Message);
            Assert.Equal("on host 'web1'", failed.Location);
            Assert.StartsWith($"'wait' on host 'web1' exceeded its timeout of {0.05:0.###} s", timedOut.Message);
        }

        [Fact]
        public async Task Step_timeout_throws_TimedOutException_and_leaves_the_state_unchanged()
        {
            var session = SessionWith(("a", 0));
            var step = new Step("slow", async (s, ct) =>
            {
                s.State.Set("a", 1);
                await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
            })
            { Timeout = TimeSpan.FromMilliseconds(50) };

            var e = await Assert.ThrowsAsync<TimedOutException>(() => step.ExecuteAsync(session)).Guarded();

            Assert.Equal("slow", e.NodeName);
            Assert.Equal(TimeSpan.FromMilliseconds(50), e.Timeout);
            Assert.Equal("AgnoTimedOut", e.ErrorId);
            Assert.Contains($"'slow' exceeded its timeout of {0.05:0.###} s", e.Message);
            Assert.Equal(0, session.State.Get("a"));
            Assert.Equal(NodeStatus.TimedOut, e.Run!.Status);
        }

        [Fact]
        public async Task Step_timeout_in_a_workflow_keeps_earlier_steps_and_marks_the_workflow_timed_out()
        {
            var session = AgnoSession.Create();
            var slow = WaitingStep("slow", NewGate());
            slow.Timeout = TimeSpan.FromMilliseconds(30);
            var wf = new Workflow("wf").AddStep(SetStep("s1", "a", 1)).AddStep(slow).AddStep(SetStep("s3", "c", 1));

            var e = await Assert.ThrowsAsync<TimedOutException>(() => wf.ExecuteAsync(session)).Guarded();

            Assert.Equal(new[] { "a" }, session.State.Keys);
            Assert.Equal(NodeStatus.TimedOut, e.Run!.Status);
            Assert.Equal(new[] { NodeStatus.Completed, NodeStatus.TimedOut, NodeStatus.Pending }, e.Run.Steps.Select(s => s.Status));
        }

        [Fact]
        public async Task Parallel_node_timeout_merges_nothing()
        {
            var session = AgnoSession.Create();
            var parallel = new ParallelNode("p") { Timeout = TimeSpan.FromMilliseconds(50) }
                .AddNode(SetStep("quick", "q", 1))
                .AddNode(WaitingStep("slow", NewGate()));

            var e = await Assert.ThrowsAsync<TimedOutException>(() => parallel.ExecuteAsync(session)).Guarded();

            Assert.Equal("p", e.NodeName);
            Assert.Equal(0, session.State.Count);
            Assert.Equal(NodeStatus.TimedOut, e.Run!.Status);
        }

        [Fact]
        public async Task Run_timeout_stops_the_run_and_keeps_only_completed_steps()
        {
            var session = AgnoSession.Create();
            var wf = new Workflow("wf").AddStep(SetStep("s1", "a", 1)).AddStep(WaitingStep("s2", NewGate()));

            var e = await Assert.ThrowsAsync<TimedOutException>(() =>
                wf.ExecuteAsync(session, options: new RunOptions { Timeout = TimeSpan.FromMilliseconds(100) })).Guarded();

            Assert.Equal("wf", e.NodeName);
            Assert.StartsWith($"The run of 'wf' exceeded its timeout of {0.1:0.###} s", e.Message);
            Assert.Equal(new[] { "a" }, session.State.Keys);
            Assert.Equal(NodeStatus.TimedOut, e.Run!.Status);
            Assert.Same(e, e.Run.Error);
            Assert.Equal(NodeStatus.Cancelled, e.Run.Steps[1].Status);
            Assert.Same(e.Run, Assert.Single(session.History));
        }

        [Fact]
        public async Task External_cancellation_leaves_the_state_as_before_the_node_and_throws()
        {
            var session = SessionWith(("before", 1));
            var started = NewGate();
            using var cts = new CancellationTokenSource();
            var wf = new Workflow("wf")
                .AddStep(SetStep("s1", "a", 1))
                .AddStep(new ParallelNode("p").AddNode(WaitingStep("w", started)).AddNode(SetStep("x", "x", 1)));

            var running = wf.ExecuteAsync(session, cts.Token);
            await started.Task.Guarded();
            cts.Cancel();

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running).Guarded();
            Assert.Equal(new[] { "a", "before" }, session.State.Keys);
            var run = Assert.Single(session.History);
            Assert.Equal(NodeStatus.Cancelled, run.Status);
            Assert.Equal(NodeStatus.Cancelled, run.Steps.Single(s => s.Name == "p").Status);
        }

        [Fact]
        public async Task A_body_that_ignores_its_token_still_lets_the_run_stop()
        {
            var session = AgnoSession.Create();
            var started = NewGate();
            var release = NewGate();
            var bodyDone = NewGate();
            var stubborn = new Step("stubborn", async (s, ct) =>
            {
                started.SetResult();
                await release.Task.ConfigureAwait(false); // never looks at ct
                s.State.Set("late", 1);
                bodyDone.SetResult();
            });
            using var cts = new CancellationTokenSource();

            var running = stubborn.ExecuteAsync(session, cts.Token);
            await started.Task.Guarded();
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running).Guarded();

            release.SetResult();
            await bodyDone.Task.Guarded();
            Assert.False(session.State.ContainsKey("late"));
            Assert.Equal(NodeStatus.Cancelled, Assert.Single(session.History).Status);
        }

        [Fact]
        public async Task A_blocking_synchronous_body_that_ignores_its_token_still_lets_the_timeout_stop_the_run()
        {
            var session = AgnoSession.Create();
            using var release = new ManualResetEventSlim(false);
            var stubborn = new Step("blocking", s =>
            {
                release.Wait(HangGuard); // blocks, never looks at a token
                s.State.Set("late", 1);
            })
            { Timeout = TimeSpan.FromMilliseconds(50) };
            try
            {
                var running = Task.Run(() => stubborn.ExecuteAsync(session));
                await Assert.ThrowsAsync<TimedOutException>(() => running.WaitAsync(TimeSpan.FromSeconds(5)));
                Assert.False(session.State.ContainsKey("late"));
            }
            finally
            {
                release.Set();
            }
        }

        [Fact]
        public async Task A_body_that_ignores_its_token_and_then_fails_is_still_stopped_by_a_timeout()
        {
            var session = AgnoSession.Create();
            var release = NewGate();
            var bodyDone = NewGate();
            var stubborn = new Step("stubborn", async (s, ct) =>
            {
                try
                {
                    await release.Task.ConfigureAwait(false);
                    throw new InvalidOperationException("late failure");
                }
                finally
                {
                    bodyDone.SetResult();
                }
            })
            { Timeout = TimeSpan.FromMilliseconds(30) };

            await Assert.ThrowsAsync<TimedOutException>(() => stubborn.ExecuteAsync(session)).Guarded();
            release.SetResult();
            await bodyDone.Task.Guarded(); // its late exception is observed, not left unobserved
        }

        [Fact]
        public async Task A_run_started_with_a_cancelled_token_throws_and_is_still_recorded()
        {
            var session = AgnoSession.Create();
            using var cts = new CancellationTokenSource();
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => SetStep("s", "a", 1).ExecuteAsync(session, cts.Token)).Guarded();
            Assert.Equal(0, session.State.Count);
            Assert.Single(session.History);
        }

        // ---- records and observers ----

        [Fact]
        public async Task RunRecord_holds_statuses_keys_changed_duration_steps_and_ids()
        {
            var session = AgnoSession.Create(sessionId: "s-1");
            var wf = new Workflow("wf")
                .AddStep(new Step("s1", s => { s.State.Set("a", 1); s.State.Set("b", 2); }))
                .AddStep(new ParallelNode("p").AddNode(SetStep("p1", "c", 3)).AddNode(SetStep("p2", "d", 4)));

            var run = await wf.ExecuteAsync(session).Guarded();

            Assert.Equal("wf", run.Name);
            Assert.Equal("s-1", run.SessionId);
            Assert.NotEqual(Guid.Empty, run.RunId);
            Assert.Equal(NodeStatus.Completed, run.Status);
            Assert.Null(run.Error);
            Assert.NotNull(run.StartedAt);
            Assert.True(run.Duration > TimeSpan.Zero);
            Assert.Equal(NodeKind.Workflow, run.Root.Kind);
            Assert.Equal(new[] { "s1", "p", "p1", "p2" }, run.Steps.Select(s => s.Name));
            Assert.Equal(new[] { NodeKind.Step, NodeKind.Parallel, NodeKind.Step, NodeKind.Step }, run.Steps.Select(s => s.Kind));
            Assert.All(run.Steps, s =>
            {
                Assert.Equal(NodeStatus.Completed, s.Status);
                Assert.NotNull(s.StartedAt);
                Assert.True(s.Duration <= run.Duration);
                Assert.Null(s.Error);
            });
            Assert.Equal(new[] { "a", "b" }, run.Steps[0].KeysChanged.OrderBy(k => k));
            Assert.Equal(new[] { "c", "d" }, run.Steps[1].KeysChanged.OrderBy(k => k));
            Assert.Equal(new[] { "c" }, run.Steps[2].KeysChanged);
            Assert.Empty(run.Conflicts);
            Assert.Empty(run.Failures);
            Assert.Same(run, Assert.Single(session.History));
            Assert.StartsWith("Run of 'wf': Completed in ", run.ToString());
            Assert.EndsWith(" ms", run.ToString());
        }

        [Fact]
        public async Task NodeRecord_knows_its_parent_children_path_and_descendants()
        {
            var wf = new Workflow("wf").AddStep(new ParallelNode("p").AddNode(SetStep("leaf", "a", 1)));
            var run = await wf.ExecuteAsync(AgnoSession.Create()).Guarded();
            var p = run.Root.Children.Single();
            var leaf = p.Children.Single();
            Assert.Same(run.Root, p.Parent);
            Assert.Same(p, leaf.Parent);
            Assert.Null(run.Root.Parent);
            Assert.Equal("wf/p/leaf", leaf.Path);
            Assert.Equal("wf", run.Root.Path);
            Assert.Equal(new[] { run.Root, p, leaf }, run.Root.Descendants());
            Assert.Equal("Step 'leaf': Completed", leaf.ToString());
            Assert.Equal("Parallel 'p'", wf.Steps[0].ToString());
            Assert.Equal(NodeKind.Workflow, wf.Kind);
        }

        [Fact]
        public async Task History_is_appended_for_every_run_even_on_failure()
        {
            var session = AgnoSession.Create();
            await SetStep("ok", "a", 1).ExecuteAsync(session).Guarded();
            await Assert.ThrowsAsync<StepFailedException>(() => FailStep("bad").ExecuteAsync(session)).Guarded();
            await new Workflow("wf").AddStep(SetStep("w", "b", 1)).ExecuteAsync(session).Guarded();
            Assert.Equal(new[] { "ok", "bad", "wf" }, session.History.Select(r => r.Name));
            Assert.Equal(new[] { NodeStatus.Completed, NodeStatus.Failed, NodeStatus.Completed }, session.History.Select(r => r.Status));
        }

        [Fact]
        public async Task Observer_is_told_of_every_start_and_finish_in_order()
        {
            var observer = new RecordingObserver();
            var wf = new Workflow("wf").AddStep(SetStep("s1", "a", 1)).AddStep(SetStep("s2", "b", 1));

            await wf.ExecuteAsync(AgnoSession.Create(), options: new RunOptions { Observer = observer }).Guarded();

            Assert.Equal(new[]
            {
                "start wf", "start wf/s1", "finish wf/s1 Completed", "start wf/s2", "finish wf/s2 Completed", "finish wf Completed",
            }, observer.Events);
        }

        [Fact]
        public async Task Observer_sees_failures_and_parallel_branches()
        {
            var observer = new RecordingObserver();
            var parallel = new ParallelNode("p") { ErrorPolicy = ErrorPolicy.Continue }
                .AddNode(SetStep("ok", "a", 1))
                .AddNode(FailStep("bad"));

            await parallel.ExecuteAsync(AgnoSession.Create(), options: new RunOptions { Observer = observer }).Guarded();

            Assert.Equal(3, observer.Started.Count);
            Assert.Equal(3, observer.Finished.Count);
            Assert.Contains("finish p/bad Failed", observer.Events);
            Assert.Contains("finish p/ok Completed", observer.Events);
            Assert.Equal("finish p CompletedWithErrors", observer.Events.Last());
            Assert.Equal("start p", observer.Events.First());
        }
    }
}
