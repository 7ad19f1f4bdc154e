namespace Agno.Core
{
    /// <summary>
    /// A three-way merge of one key, applied once per branch that changed it, in branch order.
    /// Arguments are copies (a reducer may change them); a missing value is null. A reducer that
    /// cannot combine its arguments throws, and the merge then fails as a whole
    /// (<see cref="ReducerFailedException"/>).
    /// </summary>
    public interface IStateReducer
    {
        /// <summary>The reducer's name, as conflicts and errors give it.</summary>
        string Name { get; }

        /// <param name="baseValue">The key's value before the fork.</param>
        /// <param name="current">The value merged so far (base, then each earlier branch).</param>
        /// <param name="incoming">This branch's value.</param>
        /// <param name="context">The key, the branch, the strategy and the merge's cancellation token; where a
        /// reducer reports the entries a branch changed inside the value, so that they can conflict.</param>
        /// <returns>The merged value, which the next branch's value is combined with.</returns>
        object? Reduce(object? baseValue, object? current, object? incoming, ReducerContext context);
    }
}
