namespace Agno.Core
{
    /// <summary>A loop told to fail on its maximum reached it before its condition ended it; what its iterations committed stays.</summary>
    public sealed class LoopLimitException : AgnoException
    {
        /// <summary>The error for loop <paramref name="loopName"/>.</summary>
        public LoopLimitException(string loopName, int maxIterations, string message) : base(message)
        {
            LoopName = loopName;
            MaxIterations = maxIterations;
        }

        /// <summary>The loop's name.</summary>
        public string LoopName { get; }

        /// <summary>The maximum it reached.</summary>
        public int MaxIterations { get; }

        /// <inheritdoc/>
        public override string ErrorId => "AgnoLoopLimit";

        /// <inheritdoc/>
        public override AgnoErrorKind Kind => AgnoErrorKind.LimitExceeded;

        /// <inheritdoc/>
        public override object? Target => LoopName;
    }
}
