namespace Agno.Core
{
    /// <summary>Told when nodes start and finish (from the threads that run them): progress, logging, checkpoints.</summary>
    public interface IRunObserver
    {
        /// <summary>A node started: its record is Running. It should not throw: an exception from here fails the node. A node a resume skips is not reported.</summary>
        void NodeStarted(NodeRecord node);

        /// <summary>A node finished, whatever its outcome: its record holds its final status, duration and error. It should not throw: an exception from here replaces the node's outcome.</summary>
        void NodeFinished(NodeRecord node);
    }
}
