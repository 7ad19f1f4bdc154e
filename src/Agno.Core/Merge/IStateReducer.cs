namespace Agno.Core
{
    /// <summary>
    /// A three-way merge of one key, applied once per branch that changed it, in branch order.
    /// Arguments are copies (a reducer may change them); a missing value is null.
    /// </summary>
    public interface IStateReducer
    {
        string Name { get; }

        /// <param name="baseValue">The key's value before the fork.</param>
        /// <param name="current">The value merged so far (base, then each earlier branch).</param>
        /// <param name="incoming">This branch's value.</param>
        object? Reduce(object? baseValue, object? current, object? incoming);
    }

    /// <summary>A reducer that can be stopped (a timeout or a stop of the node being merged).</summary>
    public interface ICancellableReducer : IStateReducer
    {
        object? Reduce(object? baseValue, object? current, object? incoming, System.Threading.CancellationToken cancellationToken);
    }
}
