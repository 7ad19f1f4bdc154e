using System;

namespace Agno.Core
{
    /// <summary>
    /// How a run's nodes unwind when a step asked to end the run early (<see cref="AgnoSession.StopRun"/>):
    /// not a failure; the run ends with status Stopped. Never seen outside the engine.
    /// </summary>
    internal sealed class RunStoppedException : Exception
    {
        public RunStoppedException() : base("The run was stopped by one of its steps.") { }
    }
}
