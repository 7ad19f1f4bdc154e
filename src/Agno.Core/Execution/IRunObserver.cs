namespace Agno.Core
{
    /// <summary>Told when nodes start and finish (from the threads that run them): progress, logging, checkpoints.</summary>
    public interface IRunObserver
    {
        void NodeStarted(NodeRecord node);
        void NodeFinished(NodeRecord node);
    }
}
