using System;
using System.Management.Automation;
using Agno.Core;
using Agno.Hosting;

namespace Agno.Commands
{
    /// <summary>
    /// What every Agno cmdlet does the same way with errors. The rule: a failure that makes the whole
    /// command meaningless (no session, a bad option, a failed run) is terminating; a failure about one
    /// item of the input (a key, a value, a session of several) is non-terminating, and the command
    /// goes on with the next item, so that -ErrorAction decides; inside a step, a failed change of
    /// the state is script-terminating, so that a step never completes with a write lost. Every error
    /// a user can cause is an <see cref="AgnoException"/>, written through <see cref="AgnoErrors"/>.
    /// </summary>
    public abstract class AgnoCmdlet : PSCmdlet
    {
        /// <summary>True for the cmdlets that change a session's state: inside a step, their failures fail the step.</summary>
        private protected virtual bool ChangesState => false;

        /// <summary>Runs the command's whole work: a failure a user can cause ends the command.</summary>
        private protected void Terminating(Action work)
        {
            try
            {
                work();
            }
            catch (Exception e) when (IsUserError(e))
            {
                ThrowTerminatingError(AgnoErrors.FromException(e));
            }
        }

        /// <summary>Runs the work for one item of input: a failure a user can cause is reported, and false returned.</summary>
        private protected bool ForItem(Action work)
        {
            try
            {
                work();
                return true;
            }
            catch (Exception e) when (IsUserError(e))
            {
                WriteItemError(e);
                return false;
            }
        }

        /// <summary>Reports a failure about one item of input (see the class's rule).</summary>
        private void WriteItemError(Exception exception)
        {
            var record = AgnoErrors.FromException(exception);
            if (ChangesState && SessionRegistry.InStep)
            {
                // As a throw would: the step's script ends here, unless it catches this.
                throw new RuntimeException(record.Exception.Message, record.Exception, record) { WasThrownFromThrowStatement = true };
            }
            WriteError(record);
        }

        /// <summary>
        /// ShouldProcess, except that inside a step nothing is ever asked (there is no one to ask):
        /// there only -WhatIf (or $WhatIfPreference) holds a change back.
        /// </summary>
        private protected bool ShouldChange(string target, string action)
        {
            if (!SessionRegistry.InStep) return ShouldProcess(target, action);
            var whatIf = MyInvocation.BoundParameters.TryGetValue("WhatIf", out var given)
                ? given is SwitchParameter s && s.IsPresent
                : LanguagePrimitives.IsTrue(SessionState.PSVariable.GetValue("WhatIfPreference"));
            return !whatIf || ShouldProcess(target, action);
        }

        /// <summary>Errors a user can cause: Agno's own and the engine's argument checks. Anything else is a bug and goes through as it is.</summary>
        private static bool IsUserError(Exception e) => e is AgnoException || e is ArgumentException;
    }
}
