using System.Threading;

namespace Agno.Core
{
    /// <summary>A run's request to end early and successfully (Stop-AgnoWorkflow), with its reason; shared by the run's nodes.</summary>
    internal sealed class RunStop
    {
        private string? _reason;
        private int _requested;

        public bool Requested => Volatile.Read(ref _requested) == 1;

        public string? Reason => _reason;

        /// <summary>The first request wins; later ones change nothing.</summary>
        public void Request(string? reason)
        {
            if (Interlocked.CompareExchange(ref _requested, 1, 0) == 0) _reason = reason;
        }
    }
}
