using System;

namespace Agno.Core
{
    /// <summary>A step's body threw; the step's changes were discarded.</summary>
    public sealed class StepFailedException : AgnoException
    {
        /// <summary>
        /// An error for step <paramref name="stepName"/>, run for <paramref name="item"/> if given and where
        /// <paramref name="location"/> says when not in this process (<c>on host 'web1'</c>), whose body threw
        /// <paramref name="inner"/>; the message quotes the item, the location and the inner message.
        /// </summary>
        public StepFailedException(string stepName, Exception inner, object? item = null, string? location = null)
            : base($"Step '{stepName}'{For(item)} failed{(location == null ? "" : " " + location)}: {inner.Message}", inner)
        {
            StepName = stepName;
            Item = item;
            Location = location;
        }

        /// <summary>The step's name.</summary>
        public string StepName { get; }

        /// <summary>Where the step ran when not in this process (<c>on host 'web1'</c>); null otherwise.</summary>
        public string? Location { get; }

        /// <summary>The item the step ran for (one branch per pipeline item), or null.</summary>
        public object? Item { get; }

        /// <inheritdoc/>
        public override string ErrorId => "AgnoStepFailed";

        /// <inheritdoc/>
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
