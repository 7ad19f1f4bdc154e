using System.Collections;
using System.Collections.Generic;
using System.Threading.Tasks;
using Agno.Core;
using Xunit;

namespace Agno.Tests
{
    /// <summary>A step's <see cref="AgnoSession.Input"/> and <see cref="AgnoSession.Metadata"/> are its own copies, like its state.</summary>
    public class SessionCopyTests
    {
        [Fact]
        public async Task Each_branch_gets_its_own_copy_of_the_input_and_the_callers_is_never_changed()
        {
            var input = new Hashtable { ["servers"] = new List<string> { "web1" } };
            var session = AgnoSession.Create(input: input);
            var seen = new Dictionary<string, int>();
            var parallel = new ParallelNode("p");
            foreach (var name in new[] { "a", "b", "c" })
            {
                parallel.AddNode(new Step(name, s =>
                {
                    var mine = (Hashtable)s.Input!;
                    ((List<string>)mine["servers"]!).Add(name);
                    mine[name] = true;
                    lock (seen) seen[name] = ((List<string>)mine["servers"]!).Count + mine.Count;
                }));
            }

            await parallel.ExecuteAsync(session).Guarded();

            Assert.Equal(new Dictionary<string, int> { ["a"] = 4, ["b"] = 4, ["c"] = 4 }, seen); // web1 + own name, servers + own key
            Assert.Same(input, session.Input);
            Assert.Equal(new List<string> { "web1" }, input["servers"]);
            Assert.Single(input.Keys);
        }

        [Fact]
        public async Task A_step_that_replaces_its_input_or_changes_its_metadata_leaves_the_next_step_and_the_caller_alone()
        {
            var session = AgnoSession.Create(input: new List<int> { 1 });
            session.Metadata["owner"] = new Hashtable { ["name"] = "ops" };
            object? nextInput = null, nextOwner = null;
            var first = new Step("first", s =>
            {
                ((Hashtable)s.Metadata["owner"]!)["name"] = "changed";
                s.Metadata["added"] = 1;
                s.Input = "replaced";
            });
            first.Then(new Step("second", s =>
            {
                nextInput = s.Input;
                nextOwner = ((Hashtable)s.Metadata["owner"]!)["name"];
                Assert.False(s.Metadata.ContainsKey("added"));
            }));

            await first.ExecuteAsync(session).Guarded();

            Assert.Equal(new List<int> { 1 }, nextInput);
            Assert.Equal("ops", nextOwner);
            Assert.Equal("ops", ((Hashtable)session.Metadata["owner"]!)["name"]);
            Assert.False(session.Metadata.ContainsKey("added"));
            Assert.Equal(new List<int> { 1 }, session.Input);
        }

        [Fact]
        public async Task An_input_the_copier_refuses_fails_the_step_that_reads_it_naming_the_input_and_the_step()
        {
            var cyclic = new List<object>();
            cyclic.Add(cyclic);
            var session = AgnoSession.Create(input: cyclic);
            var untouched = new Step("untouched", s => s.State.Set("ran", true));
            var reader = new Step("reader", s => _ = s.Input);
            untouched.Then(reader);

            var error = await Assert.ThrowsAsync<StepFailedException>(() => untouched.ExecuteAsync(session)).Guarded();

            var refused = Assert.IsType<ValueRefusedException>(error.InnerException);
            Assert.StartsWith("The session's Input cannot be copied for 'reader': [0] refers back to the [System.Collections.Generic.List[object]]", refused.Message);
            Assert.Equal(true, session.State.Get("ran")); // a step that never reads the input runs
        }
    }
}
