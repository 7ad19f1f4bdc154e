using System;
using System.Management.Automation;
using Agno.Core;

namespace Agno.PowerShell
{
    /// <summary>Makes engine steps and reducers whose work is a PowerShell scriptblock, run by the current invocation's host.</summary>
    internal static class ScriptStep
    {
        public static Step Create(string name, StepScript script, int timeoutSeconds)
        {
            var step = new Step(name, (own, cancellationToken) =>
                (InvocationHost.Current ?? throw NotInInvocation(name)).RunStepAsync(script, own, cancellationToken));
            if (timeoutSeconds > 0) step.Timeout = TimeSpan.FromSeconds(timeoutSeconds);
            step.Description = script.Original.ToString().Trim();
            return step;
        }

        public static IStateReducer Reducer(string key, StepScript script) =>
            Reducers.Custom($"scriptblock for '{key}'", (baseValue, current, incoming) =>
                (InvocationHost.Current ?? throw NotInInvocation("reducer for " + key)).RunReducer(script, key, baseValue, current, incoming));

        private static InvalidOperationException NotInInvocation(string name) => new InvalidOperationException(
            $"'{name}' is a PowerShell step: run it with Invoke-AgnoWorkflow or Invoke-AgnoParallel.");
    }
}
