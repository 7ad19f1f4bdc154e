using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Threading;
using System.Threading.Tasks;
using Agno.Commands;
using Agno.Core;

namespace Agno.Hosting
{
    /// <summary>Makes engine steps and reducers whose work is a PowerShell scriptblock, run by the current invocation's host.</summary>
    internal static class ScriptStep
    {
        /// <summary>
        /// A step running <paramref name="script"/>: at <paramref name="target"/> when given (another host or
        /// process), else as <paramref name="isolation"/> says, else as the invocation's isolation says.
        /// </summary>
        public static Step Create(string name, StepScript script, int timeoutSeconds, StepIsolation? isolation = null, RemoteTarget? target = null)
        {
            var step = new Step(name, (own, cancellationToken) =>
                (InvocationHost.Current ?? throw NotInInvocation(name)).RunStepAsync(script, own, null, isolation, target, cancellationToken));
            step.Location = target?.Location;
            if (timeoutSeconds > 0) step.Timeout = TimeSpan.FromSeconds(timeoutSeconds);
            step.Description = script.Original.ToString().Trim();
            return step;
        }

        /// <summary>
        /// A step that runs <paramref name="script"/> with $_ a copy of <paramref name="item"/> (one branch per
        /// pipeline item), at <paramref name="target"/> when given, else as the invocation's isolation says.
        /// </summary>
        public static Step ForItem(string name, StepScript script, StepItem item, RemoteTarget? target = null) => new Step(name, (own, cancellationToken) =>
            (InvocationHost.Current ?? throw NotInInvocation(name)).RunStepAsync(script, own, item, null, target, cancellationToken))
        {
            Item = item.Value,
            Location = target?.Location,
        };

        /// <summary>A pipeline item's step that fails at once with <paramref name="error"/> (its item could not be taken), as its branch.</summary>
        public static Step Failing(string name, Exception error, object? item) => new Step(name, (_, _) => Task.FromException(error)) { Item = item };

        public static IStateReducer Reducer(string key, StepScript script) => new ScriptReducer(key, script);

        /// <summary>A condition of a control-flow node: its script's output, read as PowerShell's if reads it.</summary>
        public static Func<AgnoSession, CancellationToken, Task<bool>> Condition(string nodeName, StepScript script) => async (own, cancellationToken) =>
        {
            var output = await (InvocationHost.Current ?? throw NotInInvocation(nodeName)).RunQuestionAsync(script, own, cancellationToken).ConfigureAwait(false);
            return LanguagePrimitives.IsTrue(output.Count == 1 ? output[0] : output.ToArray());
        };

        /// <summary>A router's selector: the route names its script writes, as strings.</summary>
        public static Func<AgnoSession, CancellationToken, Task<IReadOnlyList<string>>> Selector(string nodeName, StepScript script) => async (own, cancellationToken) =>
        {
            var output = await (InvocationHost.Current ?? throw NotInInvocation(nodeName)).RunQuestionAsync(script, own, cancellationToken).ConfigureAwait(false);
            return output.Where(o => o != null).Select(o => LanguagePrimitives.ConvertTo<string>(o)).ToList();
        };

        /// <summary>A scriptblock { param($base, $current, $incoming) ... } run by the current invocation, stopped with the node it merges.</summary>
        private sealed class ScriptReducer : IStateReducer
        {
            private readonly string _key;
            private readonly StepScript _script;

            public ScriptReducer(string key, StepScript script)
            {
                _key = key;
                _script = script;
            }

            public string Name => $"scriptblock for '{_key}'";

            public object? Reduce(object? baseValue, object? current, object? incoming, ReducerContext context)
            {
                var host = InvocationHost.Current;
                if (host != null) return host.RunReducer(_script, _key, baseValue, current, incoming, context.CancellationToken);
                // A session's reducer also merges a commit made outside any run (Set-AgnoState on a stored
                // session meeting another process's change): that commit runs on the caller's pipeline thread.
                if (Runspace.DefaultRunspace == null) throw NotInInvocation("reducer for " + _key);
                var output = _script.Original.Invoke(baseValue, current, incoming);
                var results = output.Select(o => o?.BaseObject is PSCustomObject ? o : o?.BaseObject).ToArray();
                return results.Length == 1 ? results[0] : results;
            }
        }

        private static InvalidOperationException NotInInvocation(string name) => new InvalidOperationException(
            $"'{name}' is a PowerShell step: run it with Invoke-AgnoWorkflow or Invoke-AgnoParallel.");
    }
}
