using System;
using System.Globalization;

namespace Agno.Core
{
    /// <summary>Arithmetic and ordering across boxed numeric types, for the Sum, Max and Min reducers.</summary>
    internal static class Numbers
    {
        private enum Kind { Integer, Decimal, Double }

        public static bool IsNumber(object? value) => value is sbyte || value is byte || value is short || value is ushort
            || value is int || value is uint || value is long || value is ulong || value is float || value is double || value is decimal;

        /// <summary>current + (incoming - base), kept in the operands' type when they share one and the result fits.</summary>
        public static object SumDifference(object? baseValue, object? current, object? incoming)
        {
            foreach (var v in new[] { baseValue, current, incoming })
            {
                if (v != null && !IsNumber(v))
                {
                    throw new InvalidOperationException($"Sum combines numbers, but got [{v.GetType().Name}] '{v}'.");
                }
            }
            var kind = Widest(baseValue, current, incoming);
            object result;
            switch (kind)
            {
                case Kind.Integer:
                    try
                    {
                        result = checked(ToLong(current) + (ToLong(incoming) - ToLong(baseValue)));
                    }
                    catch (OverflowException)
                    {
                        result = ToDouble(current) + (ToDouble(incoming) - ToDouble(baseValue));
                    }
                    break;
                case Kind.Decimal:
                    result = ToDecimal(current) + (ToDecimal(incoming) - ToDecimal(baseValue));
                    break;
                default:
                    result = ToDouble(current) + (ToDouble(incoming) - ToDouble(baseValue));
                    break;
            }
            return NarrowTo(result, incoming ?? current ?? baseValue);
        }

        /// <summary>Orders numbers by value whatever their types; other values by IComparable.</summary>
        public static int Compare(object left, object right)
        {
            if (IsNumber(left) && IsNumber(right))
            {
                if (left is double || left is float || right is double || right is float)
                {
                    return ToDouble(left).CompareTo(ToDouble(right));
                }
                return ToDecimal(left).CompareTo(ToDecimal(right));
            }
            if (left is IComparable comparable && left.GetType() == right.GetType())
            {
                return comparable.CompareTo(right);
            }
            throw new InvalidOperationException(
                $"[{left.GetType().Name}] '{left}' and [{right.GetType().Name}] '{right}' cannot be compared.");
        }

        private static Kind Widest(params object?[] values)
        {
            var kind = Kind.Integer;
            foreach (var v in values)
            {
                if (v is double || v is float) return Kind.Double;
                if (v is decimal) kind = Kind.Decimal;
                if (v is ulong u && u > long.MaxValue && kind == Kind.Integer) kind = Kind.Decimal;
            }
            return kind;
        }

        private static object NarrowTo(object result, object? template)
        {
            if (template == null || template.GetType() == result.GetType()) return result;
            try
            {
                return Convert.ChangeType(result, template.GetType(), CultureInfo.InvariantCulture);
            }
            catch (OverflowException)
            {
                return result;
            }
        }

        private static long ToLong(object? v) => v == null ? 0L : Convert.ToInt64(v, CultureInfo.InvariantCulture);
        private static decimal ToDecimal(object? v) => v == null ? 0m : Convert.ToDecimal(v, CultureInfo.InvariantCulture);
        private static double ToDouble(object? v) => v == null ? 0d : Convert.ToDouble(v, CultureInfo.InvariantCulture);
    }
}
