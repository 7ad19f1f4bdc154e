using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using Agno.Core;
using Agno.Hosting;
using Agno.Values;

namespace Agno.Commands
{
    /// <summary>
    /// The options of a parallel node, shared by New-AgnoParallel and Invoke-AgnoParallel (and the
    /// pipeline form): throttle, merge strategy, reducers, error policy. See <see cref="SettingsParameters"/>.
    /// </summary>
    public sealed class ParallelSettings
    {
        /// <summary>PowerShell's usual default, as ForEach-Object -Parallel and Start-ThreadJob have it.</summary>
        public const int DefaultThrottleLimit = 5;

        /// <summary>How many branches run at once.</summary>
        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int ThrottleLimit { get; set; } = DefaultThrottleLimit;

        /// <summary>What the merge does when branches change one key to different results; the session's when not given.</summary>
        [Parameter]
        public MergeStrategy MergeStrategy { get; set; } = MergeStrategy.LastWriteWins;

        /// <summary>Per-key reducers: a built-in name or a scriptblock { param($base, $current, $incoming) ... }.</summary>
        [Parameter]
        public IDictionary? Reducer { get; set; }

        /// <summary>Whether one failed branch stops the others (Stop) or the successful ones merge (Continue).</summary>
        [Parameter]
        public ErrorPolicy ErrorPolicy { get; set; } = ErrorPolicy.Stop;

        /// <summary>
        /// A parallel node of <paramref name="branches"/> with these options; <paramref name="mergeGiven"/>
        /// says whether -MergeStrategy or -Reducer was given (else the node keeps the default policy).
        /// </summary>
        internal ParallelNode Build(PSCmdlet caller, string name, IReadOnlyList<WorkflowNode?> branches, TimeSpan? timeout, bool mergeGiven)
        {
            var node = Configure(new ParallelNode(name), caller, timeout, mergeGiven);
            for (int i = 0; i < branches.Count; i++)
            {
                var branch = branches[i] ?? throw new AgnoArgumentException($"Branch {i + 1} of parallel '{name}' is null; pass steps, workflows or parallel nodes.", name);
                try
                {
                    node.AddNode(branch);
                }
                catch (ArgumentException e)
                {
                    throw AgnoErrors.Argument(e, branch.Name);
                }
            }
            return node;
        }

        /// <summary>A parallel node with these options whose branches come from <paramref name="feed"/> (the pipeline form).</summary>
        internal ParallelNode Build(PSCmdlet caller, string name, BranchFeed feed, TimeSpan? timeout, bool mergeGiven) =>
            Configure(new ParallelNode(name, feed), caller, timeout, mergeGiven);

        private ParallelNode Configure(ParallelNode node, PSCmdlet caller, TimeSpan? timeout, bool mergeGiven)
        {
            node.ThrottleLimit = ThrottleLimit;
            node.ErrorPolicy = ErrorPolicy;
            node.Timeout = timeout;
            if (mergeGiven) node.MergePolicy = Policy(caller, MergeStrategy, Reducer);
            return node;
        }

        /// <summary>A merge policy from a strategy and a -Reducer table (keys to names or scriptblocks).</summary>
        internal static MergePolicy Policy(PSCmdlet caller, MergeStrategy strategy, IDictionary? reducers)
        {
            var policy = new MergePolicy { Strategy = strategy };
            foreach (DictionaryEntry entry in reducers ?? new Hashtable())
            {
                var key = entry.Key?.ToString() ?? "";
                try
                {
                    policy.WithReducer(key, ToReducer(caller, key, entry.Value is PSObject p ? p.BaseObject : entry.Value));
                }
                catch (ArgumentException e)
                {
                    throw AgnoErrors.Argument(e, key);
                }
            }
            return policy;
        }

        private static IStateReducer ToReducer(PSCmdlet caller, string key, object? value) => value switch
        {
            string name => Reducers.FromName(name, PSValueCopier.Instance),
            ScriptBlock script => ScriptStep.Reducer(key, StepScript.Capture(caller, "reducer for " + key, script)),
            IStateReducer reducer => reducer,
            _ => throw new AgnoArgumentException(
                $"The reducer for key '{key}' must be a name ({string.Join(", ", Reducers.BuiltInNames)}) or a scriptblock {{ param($base, $current, $incoming) ... }}.", key),
        };
    }
}
