namespace Agno.Core
{
    /// <summary>
    /// The one place values cross into and out of a <see cref="AgnoState"/>. Every Set stores
    /// <see cref="Copy"/> of the value and every read returns <see cref="Copy"/> of the stored value,
    /// so what a caller holds is never what the state holds.
    /// </summary>
    public interface IValueCopier
    {
        /// <summary>
        /// An independent copy of <paramref name="value"/> of the same type (or the value itself when it
        /// is immutable). Throws <see cref="ValueRefusedException"/> (key left null) for what cannot be stored.
        /// </summary>
        object? Copy(object? value);

        /// <summary>True when the value can be shared without copying (it can never change).</summary>
        bool IsImmutable(object? value);

        /// <summary>Structural equality of two stored values: used to tell a real change from a rewrite.</summary>
        bool AreEqual(object? left, object? right);
    }
}
