using System;

namespace Agno.Core
{
    /// <summary>A step's body threw; the step's changes were discarded.</summary>
    public sealed class StepFailedException : AgnoException
    {
        public StepFailedException(string stepName, Exception inner, object? item = null)
            : base($"Step '{stepName}'{For(item)} failed: {inner.Message}", inner)
        {
            StepName = stepName;
            Item = item;
        }

        public string StepName { get; }

        /// <summary>The item the step ran for (one branch per pipeline item), or null.</summary>
        public object? Item { get; }
        public override string ErrorId => "AgnoStepFailed";
        public override object? Target => StepName;

        /// <summary>" (item 'text')", the item's string form cut to a line, or nothing without an item.</summary>
        private static string For(object? item)
        {
            if (item == null) return "";
            var text = (Convert.ToString(item, System.Globalization.CultureInfo.InvariantCulture) ?? "").Replace("\r", " ").Replace("\n", " ");
            return $" (item '{(text.Length > 80 ? text.Substring(0, 77) + "..." : text)}')";
        }
    }
}
