namespace Agno.Core
{
    /// <summary>How the wait between attempts of a retried step or branch grows.</summary>
    public enum RetryBackoff
    {
        /// <summary>The delay doubles after each attempt (delay, 2 x delay, 4 x delay...), each wait varied at random by up to a quarter either way, so that many retrying steps do not all call again at once.</summary>
        Exponential,
        /// <summary>The same delay before every retry.</summary>
        Fixed,
    }
}
