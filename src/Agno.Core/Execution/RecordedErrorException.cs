namespace Agno.Core
{
    /// <summary>
    /// The error a node failed with, as a store keeps it in the run's record: its message and error id
    /// (the original exception, its inner errors and stack stayed in the process that ran the node).
    /// </summary>
    public sealed class RecordedErrorException : AgnoException
    {
        public RecordedErrorException(string errorId, string message) : base(message)
        {
            ErrorId = errorId;
        }

        public override string ErrorId { get; }
    }
}
