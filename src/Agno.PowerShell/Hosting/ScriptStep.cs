using System;
using System.Management.Automation;
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
                (InvocationHost.Current ?? throw NotInInvocation(name)).RunStepAsync(script, own, isolation, target, cancellationToken));
            step.Location = target?.Location;
            if (timeoutSeconds > 0) step.Timeout = TimeSpan.FromSeconds(timeoutSeconds);
            step.Description = script.Original.ToString().Trim();
            return step;
        }

        public static IStateReducer Reducer(string key, StepScript script) => new ScriptReducer(key, script);

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

            public object? Reduce(object? baseValue, object? current, object? incoming, ReducerContext context) =>
                (InvocationHost.Current ?? throw NotInInvocation("reducer for " + _key)).RunReducer(_script, _key, baseValue, current, incoming, context.CancellationToken);
        }

        private static InvalidOperationException NotInInvocation(string name) => new InvalidOperationException(
            $"'{name}' is a PowerShell step: run it with Invoke-AgnoWorkflow or Invoke-AgnoParallel.");
    }
}
