namespace Agno.Hosting
{
    /// <summary>The pipeline item a step runs for (one branch per item): its copy, which every run copies again as $_, and its position in the input.</summary>
    internal sealed class StepItem
    {
        public StepItem(object? value, int index)
        {
            Value = value;
            Index = index;
        }

        /// <summary>A copy of the item, made when it was read.</summary>
        public object? Value { get; }

        /// <summary>The item's position in the input, from 0 (the branch's index).</summary>
        public int Index { get; }
    }
}
