using System;

namespace Agno.Core
{
    /// <summary>A step's body threw; the step's changes were discarded.</summary>
    public sealed class StepFailedException : AgnoException
    {
        /// <summary>The failure of step <paramref name="stepName"/>, which ran where <paramref name="location"/> says when given (<c>on host 'web1'</c>).</summary>
        public StepFailedException(string stepName, Exception inner, string? location = null)
            : base(location == null ? $"Step '{stepName}' failed: {inner.Message}" : $"Step '{stepName}' failed {location}: {inner.Message}", inner)
        {
            StepName = stepName;
            Location = location;
        }

        public string StepName { get; }

        /// <summary>Where the step ran when not in this process (<c>on host 'web1'</c>); null otherwise.</summary>
        public string? Location { get; }
        public override string ErrorId => "AgnoStepFailed";
        public override object? Target => StepName;
    }
}
