namespace Agno.Core
{
    /// <summary>What every node of one run shares.</summary>
    internal sealed class RunEnvironment
    {
        public RunEnvironment(IRunObserver? observer) { Observer = observer; }
        public IRunObserver? Observer { get; }
    }
}
