namespace Agno.Core
{
    /// <summary>
    /// The error a node failed with, as a store keeps it in the run's record: its message and error id
    /// (the original exception, its inner errors and stack stayed in the process that ran the node).
    /// </summary>
    public sealed class RecordedErrorException : AgnoException
    {
        /// <summary>An error as a run's stored record keeps it: its <paramref name="errorId"/> and <paramref name="message"/>.</summary>
        public RecordedErrorException(string errorId, string message) : base(message)
        {
            ErrorId = errorId;
        }

        /// <summary>The id of the error the node failed with, as recorded.</summary>
        public override string ErrorId { get; }
    }
}
