using System;
using System.Collections.Generic;
using Agno.Core;
using Xunit;

namespace Agno.Tests
{
    /// <summary>
    /// The arithmetic and ordering behind the Sum, Max and Min reducers, across numeric types, as
    /// PowerShell widens them (each expected type below is what pwsh 7 gives for the same operands).
    /// </summary>
    public class NumbersTests
    {
        [Fact]
        public void IsNumber_knows_every_numeric_type_and_nothing_else()
        {
            foreach (var n in new object[] { (sbyte)1, (byte)1, (short)1, (ushort)1, 1, 1u, 1L, 1ul, 1f, 1d, 1m })
            {
                Assert.True(Numbers.IsNumber(n), n.GetType().Name);
            }
            Assert.False(Numbers.IsNumber(null));
            Assert.False(Numbers.IsNumber("1"));
            Assert.False(Numbers.IsNumber('1'));
            Assert.False(Numbers.IsNumber(true));
            Assert.False(Numbers.IsNumber(new System.Numerics.BigInteger(1)));
        }

        public static IEnumerable<object[]> PowerShellAdditionTypes() => new[]
        {
            // [a] + [b] in pwsh 7: the result type
            new object[] { (byte)1, (byte)1, typeof(int) },
            new object[] { (short)1, (sbyte)1, typeof(int) },
            new object[] { 1, 1u, typeof(uint) },
            new object[] { 1u, 1L, typeof(long) },
            new object[] { 1L, 1ul, typeof(ulong) },
            new object[] { 1, 1L, typeof(long) },
            new object[] { 1, 1.5, typeof(double) },
            new object[] { 1f, 1f, typeof(double) },
            new object[] { 1ul, 1f, typeof(double) },
            new object[] { 1, 1m, typeof(decimal) },
            new object[] { 1.5, 1m, typeof(decimal) },
            new object[] { 1f, 1m, typeof(decimal) },
        };

        [Theory]
        [MemberData(nameof(PowerShellAdditionTypes))]
        public void Sum_widens_to_the_type_PowerShell_gives_in_either_order(object a, object b, Type expected)
        {
            Assert.IsType(expected, Numbers.SumDifference(null, a, b));
            Assert.IsType(expected, Numbers.SumDifference(null, b, a));
            Assert.IsType(expected, Numbers.SumDifference(b, a, b)); // a branch that did not move from base still widens
        }

        [Fact]
        public void Sum_of_base_10_and_branches_12_5_and_11_is_13_5_double_in_either_order()
        {
            var first = Numbers.SumDifference(10, Numbers.SumDifference(10, 10, 12.5), 11);
            var second = Numbers.SumDifference(10, Numbers.SumDifference(10, 10, 11), 12.5);
            Assert.Equal(13.5, Assert.IsType<double>(first));
            Assert.Equal(13.5, Assert.IsType<double>(second));
        }

        [Fact]
        public void Sum_of_ints_stays_int()
        {
            Assert.Equal(16, Assert.IsType<int>(Numbers.SumDifference(10, 11, 15)));
        }

        [Fact]
        public void Sum_that_overflows_an_integer_type_becomes_double_as_in_PowerShell()
        {
            Assert.Equal(4294967294d, Assert.IsType<double>(Numbers.SumDifference(0, int.MaxValue, int.MaxValue)));
            Assert.Equal(2.0 * long.MaxValue, Assert.IsType<double>(Numbers.SumDifference(0L, long.MaxValue, long.MaxValue)));
            Assert.Equal(2.0 * ulong.MaxValue, Assert.IsType<double>(Numbers.SumDifference(0ul, ulong.MaxValue, ulong.MaxValue)));
        }

        [Fact]
        public void Sum_is_exact_so_a_difference_that_would_overflow_alone_does_not_widen_the_result()
        {
            // A decrement of an unsigned counter: 5 + (3 - 5) is 3, still a uint.
            Assert.Equal(3u, Assert.IsType<uint>(Numbers.SumDifference(5u, 5u, 3u)));
            // int.MinValue - int.MaxValue overflows an int on its own, the whole sum does not.
            Assert.Equal(-1, Assert.IsType<int>(Numbers.SumDifference(int.MaxValue, -1, int.MaxValue)));
        }

        [Fact]
        public void Sum_with_a_decimal_is_decimal_and_converts_doubles_as_PowerShell_does()
        {
            Assert.Equal(1.3m, Assert.IsType<decimal>(Numbers.SumDifference(0.1m, 0.2m, 1.2m)));
            Assert.Equal(1.5m, Assert.IsType<decimal>(Numbers.SumDifference(1, 1, 1.5m)));
            Assert.Equal(0.3m, Assert.IsType<decimal>(Numbers.SumDifference(null, 0.1m, 0.2))); // [decimal]0.1 + 0.2 is 0.3 in pwsh
        }

        [Fact]
        public void Sum_with_a_double_beyond_decimal_range_cannot_combine()
        {
            var e = Assert.Throws<InvalidOperationException>(() => Numbers.SumDifference(null, 1m, 1e30));
            Assert.Contains("does not fit in a [decimal]", e.Message);
            Assert.Throws<InvalidOperationException>(() => Numbers.SumDifference(null, 1m, double.NaN));
            Assert.Throws<InvalidOperationException>(() => Numbers.SumDifference(null, decimal.MaxValue, decimal.MaxValue));
        }

        [Fact]
        public void Sum_treats_null_as_zero_and_all_null_as_null()
        {
            Assert.Equal(5, Numbers.SumDifference(null, null, 5));
            Assert.Equal(3, Numbers.SumDifference(null, 3, null));
            Assert.Null(Numbers.SumDifference(null, null, null));
        }

        [Fact]
        public void Sum_refuses_a_non_number_naming_whose_value_it_is()
        {
            var e = Assert.Throws<InvalidOperationException>(() => Numbers.SumDifference(1, 2, "3"));
            Assert.Equal("Sum adds numbers, but this branch's value ([String] '3') is not a number.", e.Message);
            Assert.Contains("the value merged so far ([Boolean] True)", Assert.Throws<InvalidOperationException>(() => Numbers.SumDifference(1, true, 3)).Message);
            Assert.Contains("the value before the fork", Assert.Throws<InvalidOperationException>(() => Numbers.SumDifference(new[] { 1 }, 2, 3)).Message);
        }

        [Fact]
        public void Max_of_12_and_12_point_0_is_12_point_0_double_in_either_order()
        {
            Assert.Equal(12.0, Assert.IsType<double>(Numbers.Extreme(null, 12, 12.0, greatest: true)));
            Assert.Equal(12.0, Assert.IsType<double>(Numbers.Extreme(null, 12.0, 12, greatest: true)));
            Assert.Equal(12.0, Assert.IsType<double>(Numbers.Extreme(null, 12.0, 12, greatest: false)));
        }

        [Fact]
        public void Max_and_Min_of_one_type_keep_it_and_mixed_types_take_the_widest()
        {
            Assert.Equal((byte)7, Assert.IsType<byte>(Numbers.Extreme((byte)1, (byte)3, (byte)7, greatest: true)));
            Assert.Equal(2.5f, Assert.IsType<float>(Numbers.Extreme(null, 2.5f, 3f, greatest: false)));
            Assert.Equal(7L, Assert.IsType<long>(Numbers.Extreme(null, 5, 7L, greatest: true)));
            Assert.Equal(5L, Assert.IsType<long>(Numbers.Extreme(null, 5, 7L, greatest: false)));
            Assert.Equal(7m, Assert.IsType<decimal>(Numbers.Extreme(1.5, 7, 2m, greatest: true))); // base's type counts too
        }

        [Fact]
        public void Max_and_Min_ignore_null()
        {
            Assert.Equal(5, Numbers.Extreme(null, null, 5, greatest: true));
            Assert.Equal(5, Numbers.Extreme(null, 5, null, greatest: false));
            Assert.Null(Numbers.Extreme(null, null, null, greatest: true));
        }

        [Fact]
        public void Max_and_Min_order_huge_integers_exactly()
        {
            Assert.Equal(ulong.MaxValue, Numbers.Extreme(null, ulong.MaxValue, ulong.MaxValue - 1, greatest: true));
            Assert.Equal(long.MaxValue - 1, Numbers.Extreme(null, long.MaxValue, long.MaxValue - 1, greatest: false));
        }

        [Fact]
        public void Max_and_Min_put_NaN_below_every_number_whatever_the_order()
        {
            Assert.Equal(1.0, Numbers.Extreme(null, double.NaN, 1.0, greatest: true));
            Assert.Equal(1.0, Numbers.Extreme(null, 1.0, double.NaN, greatest: true));
            Assert.True(double.IsNaN((double)Numbers.Extreme(null, 1.0, double.NaN, greatest: false)!));
            Assert.True(double.IsNaN((double)Numbers.Extreme(null, double.NaN, 1.0, greatest: false)!));
        }

        [Fact]
        public void Max_and_Min_order_strings_as_PowerShell_does_and_break_ties_the_same_in_either_order()
        {
            Assert.Equal("B", Numbers.Extreme(null, "a", "B", greatest: true)); // 'a' -lt 'B' in pwsh
            Assert.Equal("b", Numbers.Extreme(null, "a-b", "b", greatest: true));
            Assert.Equal(Numbers.Extreme(null, "Apple", "apple", greatest: true), Numbers.Extreme(null, "apple", "Apple", greatest: true));
            Assert.Equal(Numbers.Extreme(null, 12m, 12.0m, greatest: true)!.ToString(), Numbers.Extreme(null, 12.0m, 12m, greatest: true)!.ToString());
        }

        [Fact]
        public void Max_and_Min_order_other_values_of_one_comparable_type()
        {
            Assert.Equal(new DateTime(2021, 1, 1), Numbers.Extreme(null, new DateTime(2020, 1, 1), new DateTime(2021, 1, 1), greatest: true));
            Assert.Equal(TimeSpan.FromSeconds(1), Numbers.Extreme(null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), greatest: false));
        }

        [Fact]
        public void Max_and_Min_cannot_order_values_without_an_order_between_them()
        {
            var e = Assert.Throws<InvalidOperationException>(() => Numbers.Extreme(null, 1, "a", greatest: true));
            Assert.Equal("Max compares numbers with numbers, but this branch's value ([String] 'a') is not a number.", e.Message);
            var mixed = Assert.Throws<InvalidOperationException>(() => Numbers.Extreme(null, "a", DateTime.MinValue, greatest: false));
            Assert.StartsWith("Min cannot order the value merged so far ([String] 'a') against this branch's value ([DateTime]", mixed.Message);
            Assert.Throws<InvalidOperationException>(() => Numbers.Extreme(null, new[] { 1 }, new[] { 2 }, greatest: true));
            Assert.Throws<InvalidOperationException>(() => Numbers.Extreme(null, 1m, 1e30, greatest: true));
        }
    }
}
