using System.Collections.Generic;
using System.Management.Automation;

namespace Agno.Hosting
{
    /// <summary>
    /// The output of pipeline branches under -Ordered: held per branch as the branch writes it, and
    /// released when the branch is settled (it and every branch before it have finished), so that
    /// it reaches the pipeline in input order.
    /// </summary>
    internal sealed class OrderedOutput
    {
        private readonly Dictionary<int, List<PSObject?>> _held = new Dictionary<int, List<PSObject?>>();

        public void Hold(int index, PSObject? item)
        {
            lock (_held)
            {
                if (!_held.TryGetValue(index, out var items)) _held[index] = items = new List<PSObject?>();
                items.Add(item);
            }
        }

        /// <summary>What branch <paramref name="index"/> wrote, now let go of; null when it wrote nothing.</summary>
        public List<PSObject?>? Release(int index)
        {
            lock (_held) return _held.Remove(index, out var items) ? items : null;
        }
    }
}
