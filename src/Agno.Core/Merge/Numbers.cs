using System;
using System.Globalization;

namespace Agno.Core
{
    /// <summary>
    /// Arithmetic and ordering across boxed numeric types for the Sum, Max and Min reducers, with
    /// PowerShell's widening: the result of mixed types has the widest type in the order
    /// int &lt; uint &lt; long &lt; ulong &lt; double &lt; decimal (smaller integers count as int, float
    /// as double), so it never depends on the order the values came in.
    /// </summary>
    internal static class Numbers
    {
        /// <summary>PowerShell's arithmetic result types, narrowest first.</summary>
        private enum Rank { Int32, UInt32, Int64, UInt64, Double, Decimal }

        public static bool IsNumber(object? value) => value != null && TryRank(value, out _);

        /// <summary>
        /// current + (incoming - base), null counting as 0 (as in PowerShell). Integers are added exactly: a
        /// result that does not fit the operands' type becomes a double, as PowerShell's overflow does.
        /// </summary>
        public static object? SumDifference(object? baseValue, object? current, object? incoming)
        {
            var rank = Widest("Sum adds numbers", new[] { (baseValue, Whose.Base), (current, Whose.Current), (incoming, Whose.Incoming) });
            if (rank == null) return null;
            switch (rank.Value)
            {
                case Rank.Double:
                    return ToDouble(current) + (ToDouble(incoming) - ToDouble(baseValue));
                case Rank.Decimal:
                    var (b, c, i) = (ToDecimal(baseValue, Whose.Base), ToDecimal(current, Whose.Current), ToDecimal(incoming, Whose.Incoming));
                    try
                    {
                        return c + (i - b);
                    }
                    catch (OverflowException)
                    {
                        throw new InvalidOperationException($"The sum {c} + ({i} - {b}) is beyond the range of [decimal].");
                    }
                default:
                    // Every integer type fits a decimal exactly, and so does the sum of three of them.
                    var exact = ToDecimal(current, Whose.Current) + (ToDecimal(incoming, Whose.Incoming) - ToDecimal(baseValue, Whose.Base));
                    return FitsInteger(exact, rank.Value) ? ToRank(exact, rank.Value) : (double)exact;
            }
        }

        /// <summary>
        /// The greater (or lesser) of what was merged so far and this branch's value; null is no value.
        /// Numbers of one type keep it; mixed numbers (base's included) take the widest type. Strings order
        /// as PowerShell's -gt does (case-insensitively, then ordinally so that the result never depends on
        /// order); other values of one comparable type by their own order.
        /// </summary>
        public static object? Extreme(object? baseValue, object? current, object? incoming, bool greatest)
        {
            string what = greatest ? "Max" : "Min";
            if (IsNumber(current) || IsNumber(incoming))
            {
                var operands = new[] { (IsNumber(baseValue) ? baseValue : null, Whose.Base), (current, Whose.Current), (incoming, Whose.Incoming) };
                var type = WidestType(what + " compares numbers with numbers", operands);
                var (c, i) = (current == null ? null : To(current, type, Whose.Current), incoming == null ? null : To(incoming, type, Whose.Incoming));
                if (c == null || i == null) return c ?? i;
                int order = Tiebreak(CompareSameType(c, i), c, i);
                return (greatest ? order >= 0 : order <= 0) ? c : i;
            }
            if (current == null || incoming == null) return current ?? incoming;
            if (current.GetType() != incoming.GetType() || !(current is IComparable comparable))
            {
                throw new InvalidOperationException(
                    $"{what} cannot order {Describe(current, Whose.Current)} against {Describe(incoming, Whose.Incoming)}: they must be numbers, or values of one type that has an order.");
            }
            int compared = Tiebreak(current is string a
                ? StringComparer.InvariantCultureIgnoreCase.Compare(a, (string)incoming)
                : comparable.CompareTo(incoming), current, incoming);
            return (greatest ? compared >= 0 : compared <= 0) ? current : incoming;
        }

        /// <summary>Orders two values that compare equal but differ ('a' and 'A', 12.0m and 12m) by their text, so that neither order of arrival wins.</summary>
        private static int Tiebreak(int order, object a, object b) =>
            order != 0 ? order : string.CompareOrdinal(Convert.ToString(a, CultureInfo.InvariantCulture), Convert.ToString(b, CultureInfo.InvariantCulture));

        private static string Describe(object value, string whose)
        {
            var text = value is string s ? "'" + s + "'" : Convert.ToString(value, CultureInfo.InvariantCulture);
            return $"{whose} ([{value.GetType().Name}] {text})";
        }

        private static bool TryRank(object value, out Rank rank)
        {
            switch (value)
            {
                case sbyte _: case byte _: case short _: case ushort _: case int _: rank = Rank.Int32; return true;
                case uint _: rank = Rank.UInt32; return true;
                case long _: rank = Rank.Int64; return true;
                case ulong _: rank = Rank.UInt64; return true;
                case float _: case double _: rank = Rank.Double; return true;
                case decimal _: rank = Rank.Decimal; return true;
                default: rank = default; return false;
            }
        }

        /// <summary>The widest rank among the values (null when all are null); a value that is not a number cannot combine.</summary>
        private static Rank? Widest(string what, (object? Value, string Whose)[] operands)
        {
            Rank? widest = null;
            foreach (var (value, whose) in operands)
            {
                if (value == null) continue;
                if (!TryRank(value, out var rank))
                {
                    throw new InvalidOperationException($"{what}, but {Describe(value, whose)} is not a number.");
                }
                if (widest == null || rank > widest) widest = rank;
            }
            return widest;
        }

        /// <summary>The values' type when they share one, else the widest rank's type.</summary>
        private static Type WidestType(string what, (object? Value, string Whose)[] operands)
        {
            Type? shared = null;
            bool mixed = false;
            foreach (var (value, _) in operands)
            {
                if (value == null) continue;
                if (shared == null) shared = value.GetType();
                else if (shared != value.GetType()) mixed = true;
            }
            var rank = Widest(what, operands)!.Value;
            return !mixed && shared != null ? shared : TypeOf(rank);
        }

        private static Type TypeOf(Rank rank) => rank switch
        {
            Rank.Int32 => typeof(int),
            Rank.UInt32 => typeof(uint),
            Rank.Int64 => typeof(long),
            Rank.UInt64 => typeof(ulong),
            Rank.Double => typeof(double),
            _ => typeof(decimal),
        };

        private static object To(object value, Type type, string whose)
        {
            if (value.GetType() == type) return value;
            if (type == typeof(decimal)) return ToDecimal(value, whose);
            return Convert.ChangeType(value, type, CultureInfo.InvariantCulture);
        }

        private static int CompareSameType(object a, object b) => a switch
        {
            // A total order: NaN below every number, so that the result never depends on order.
            double x => x.CompareTo((double)b),
            float x => x.CompareTo((float)b),
            _ => ((IComparable)a).CompareTo(b),
        };

        private static bool FitsInteger(decimal value, Rank rank) => rank switch
        {
            Rank.Int32 => value >= int.MinValue && value <= int.MaxValue,
            Rank.UInt32 => value >= uint.MinValue && value <= uint.MaxValue,
            Rank.Int64 => value >= long.MinValue && value <= long.MaxValue,
            _ => value >= ulong.MinValue && value <= ulong.MaxValue,
        };

        private static object ToRank(decimal value, Rank rank) => rank switch
        {
            Rank.Int32 => (int)value,
            Rank.UInt32 => (uint)value,
            Rank.Int64 => (long)value,
            _ => (object)(ulong)value,
        };

        private static double ToDouble(object? v) => v == null ? 0d : Convert.ToDouble(v, CultureInfo.InvariantCulture);

        private static decimal ToDecimal(object? v, string whose)
        {
            if (v == null) return 0m;
            try
            {
                return Convert.ToDecimal(v, CultureInfo.InvariantCulture);
            }
            catch (OverflowException)
            {
                throw new InvalidOperationException($"{Describe(v, whose)} does not fit in a [decimal], which the other values need.");
            }
        }
    }
}
