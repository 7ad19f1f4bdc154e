using System.Collections;
using System.Management.Automation;
using System;
using Agno.Core;
using Agno.Hosting;
using Agno.Values;

namespace Agno.Commands
{
    /// <summary>The options New-AgnoParallel and Invoke-AgnoParallel share, applied to a parallel node in one place.</summary>
    internal static class ParallelOptions
    {
        /// <summary>PowerShell's usual default, as ForEach-Object -Parallel and Start-ThreadJob have it.</summary>
        public const int DefaultThrottleLimit = 5;

        /// <summary>A parallel node; <paramref name="strategy"/> null and no <paramref name="reducers"/> leave its merge rules to the session's.</summary>
        public static ParallelNode Build(PSCmdlet caller, string name, WorkflowNode?[] branches, int throttleLimit,
            MergeStrategy? strategy, IDictionary? reducers, ErrorPolicy errorPolicy, int timeoutSeconds)
        {
            var node = new ParallelNode(name)
            {
                ThrottleLimit = throttleLimit,
                ErrorPolicy = errorPolicy,
                MergePolicy = MergeRules(caller, strategy, reducers),
            };
            if (timeoutSeconds > 0) node.Timeout = TimeSpan.FromSeconds(timeoutSeconds);
            for (int i = 0; i < branches.Length; i++)
            {
                var branch = branches[i] ?? throw new AgnoErrors.TargetedArgumentException(
                    new ArgumentException($"Branch {i + 1} of parallel '{name}' is null; pass steps, workflows or parallel nodes."), name);
                try
                {
                    node.AddNode(branch);
                }
                catch (ArgumentException e)
                {
                    throw new AgnoErrors.TargetedArgumentException(e, branch.Name);
                }
            }
            return node;
        }

        /// <summary>Merge rules from -MergeStrategy and -Reducer (of a parallel node or a session); null when neither is given.</summary>
        public static MergePolicy? MergeRules(PSCmdlet caller, MergeStrategy? strategy, IDictionary? reducers)
        {
            if (strategy == null && reducers == null) return null;
            var policy = new MergePolicy { Strategy = strategy ?? MergeStrategy.LastWriteWins };
            foreach (DictionaryEntry entry in reducers ?? new Hashtable())
            {
                var key = entry.Key?.ToString() ?? "";
                try
                {
                    policy.WithReducer(key, ToReducer(caller, key, entry.Value is PSObject p ? p.BaseObject : entry.Value));
                }
                catch (ArgumentException e) when (!(e is AgnoErrors.TargetedArgumentException))
                {
                    throw new AgnoErrors.TargetedArgumentException(e, key);
                }
            }
            return policy;
        }

        private static IStateReducer ToReducer(PSCmdlet caller, string key, object? value) => value switch
        {
            string name => Reducers.FromName(name, PSValueCopier.Instance),
            ScriptBlock script => ScriptStep.Reducer(key, StepScript.Capture(caller, "reducer for " + key, script)),
            IStateReducer reducer => reducer,
            _ => throw new ArgumentException(
                $"The reducer for key '{key}' must be a name ({string.Join(", ", Reducers.BuiltInNames)}) or a scriptblock {{ param($base, $current, $incoming) ... }}.", "Reducer"),
        };
    }
}
