using System;

namespace Agno.Core
{
    /// <summary>A step's body threw; the step's changes were discarded.</summary>
    public sealed class StepFailedException : AgnoException
    {
        public StepFailedException(string stepName, Exception inner)
            : base($"Step '{stepName}' failed: {inner.Message}", inner)
        {
            StepName = stepName;
        }

        public string StepName { get; }
        public override string ErrorId => "AgnoStepFailed";
        public override object? Target => StepName;
    }
}
