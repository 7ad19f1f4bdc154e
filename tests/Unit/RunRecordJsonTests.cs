using System;
using System.Linq;
using Agno.Core;
using Xunit;

namespace Agno.Tests
{
    /// <summary>A run record saved by a store and read back in another process says what the original said.</summary>
    public class RunRecordJsonTests
    {
        [Fact]
        public void A_saved_record_keeps_decisions_notes_attempts_and_conflict_paths()
        {
            var root = new NodeRecord("nightly", NodeKind.Workflow, null);
            root.Start();
            var check = root.AddChild("check", NodeKind.Condition);
            check.Decision = "Then";
            var poll = root.AddChild("poll", NodeKind.Loop);
            poll.Note = "Loop 'poll' reached its maximum of 3 iterations before its condition ended it.";
            var fetch = root.AddChild("fetch", NodeKind.Step);
            fetch.AddAttempt(new AttemptRecord(1, DateTimeOffset.Now, TimeSpan.FromMilliseconds(5), new InvalidOperationException("refused")));
            fetch.AddAttempt(new AttemptRecord(2, DateTimeOffset.Now, TimeSpan.FromMilliseconds(7), null));
            var fan = root.AddChild("fan", NodeKind.Parallel);
            fan.Conflicts = new[] { new MergeConflict("Config", new[] { "a", "b" }, "b", MergeStrategy.LastWriteWins, "Config.Smtp.Host") };
            root.Finish(NodeStatus.Completed);
            var run = new RunRecord(root, "s", Guid.NewGuid(), isResumed: false);

            var read = RunRecordJson.Read(RunRecordJson.Write(run), run.RunId, run.Name, "Completed", DateTimeOffset.Now, Array.Empty<string>(), "s", "store");

            var nodes = read.Root.Children.ToDictionary(c => c.Name);
            Assert.Equal("Then", nodes["check"].Decision);
            Assert.Equal(poll.Note, nodes["poll"].Note);
            Assert.Equal(new[] { 1, 2 }, nodes["fetch"].Attempts.Select(a => a.Number));
            Assert.Equal("refused", nodes["fetch"].Attempts[0].Error!.Message);
            Assert.Null(nodes["fetch"].Attempts[1].Error);
            Assert.Equal("Config.Smtp.Host", nodes["fan"].Conflicts.Single().Path);
        }
    }
}
