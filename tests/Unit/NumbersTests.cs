using System;
using Agno.Core;
using Xunit;

namespace Agno.Tests
{
    /// <summary>The arithmetic and ordering behind the Sum, Max and Min reducers, across numeric types.</summary>
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
        }

        [Fact]
        public void Sum_of_ints_stays_int()
        {
            Assert.Equal(16, Assert.IsType<int>(Numbers.SumDifference(10, 11, 15)));
        }

        [Fact]
        public void Sum_keeps_the_incoming_type_when_the_result_fits()
        {
            Assert.Equal((short)7, Assert.IsType<short>(Numbers.SumDifference((short)1, (short)3, (short)5)));
            Assert.Equal(7L, Assert.IsType<long>(Numbers.SumDifference(1, 3, 5L)));
            Assert.Equal((byte)7, Assert.IsType<byte>(Numbers.SumDifference(1L, 3L, (byte)5)));
        }

        [Fact]
        public void Sum_that_no_longer_fits_the_type_widens_instead_of_wrapping()
        {
            var result = Numbers.SumDifference((byte)0, (byte)200, (byte)200);
            Assert.Equal(400L, Assert.IsType<long>(result));
        }

        [Fact]
        public void Sum_that_overflows_long_falls_back_to_double()
        {
            var result = Numbers.SumDifference(0L, long.MaxValue, long.MaxValue);
            Assert.Equal(2.0 * long.MaxValue, Assert.IsType<double>(result));
        }

        [Fact]
        public void Sum_with_a_decimal_is_decimal()
        {
            Assert.Equal(1.3m, Assert.IsType<decimal>(Numbers.SumDifference(0.1m, 0.2m, 1.2m)));
            Assert.Equal(1.5m, Assert.IsType<decimal>(Numbers.SumDifference(1, 1, 1.5m)));
        }

        [Fact]
        public void Sum_with_a_double_or_float_is_computed_in_double()
        {
            Assert.Equal(3.5, Assert.IsType<double>(Numbers.SumDifference(1, 2, 2.5)));
            Assert.Equal(3.5f, Assert.IsType<float>(Numbers.SumDifference(1f, 2f, 2.5f)));
        }

        [Fact]
        public void Sum_of_a_huge_ulong_is_computed_in_decimal()
        {
            var result = Numbers.SumDifference(0ul, 0ul, ulong.MaxValue);
            Assert.Equal(ulong.MaxValue, Assert.IsType<ulong>(result));
        }

        [Fact]
        public void Sum_treats_missing_values_as_zero()
        {
            Assert.Equal(5, Numbers.SumDifference(null, null, 5));
            Assert.Equal(3, Numbers.SumDifference(null, 3, null));
            Assert.Equal(0L, Numbers.SumDifference(null, null, null));
        }

        [Fact]
        public void Sum_refuses_a_non_number()
        {
            var e = Assert.Throws<InvalidOperationException>(() => Numbers.SumDifference(1, "2", 3));
            Assert.Contains("[String] '2'", e.Message);
        }

        [Fact]
        public void Compare_orders_numbers_by_value_whatever_their_types()
        {
            Assert.True(Numbers.Compare(2, 1L) > 0);
            Assert.True(Numbers.Compare(1.5, 2) < 0);
            Assert.True(Numbers.Compare(2, 1.5f) > 0);
            Assert.Equal(0, Numbers.Compare(1m, 1));
            Assert.True(Numbers.Compare(ulong.MaxValue, long.MaxValue) > 0);
        }

        [Fact]
        public void Compare_orders_other_values_of_one_type_by_IComparable()
        {
            Assert.True(Numbers.Compare("b", "a") > 0);
            Assert.True(Numbers.Compare(new DateTime(2020, 1, 1), new DateTime(2021, 1, 1)) < 0);
        }

        [Fact]
        public void Compare_refuses_values_it_cannot_order()
        {
            var e = Assert.Throws<InvalidOperationException>(() => Numbers.Compare("a", 1));
            Assert.Contains("cannot be compared", e.Message);
            Assert.Throws<InvalidOperationException>(() => Numbers.Compare(new object(), new object()));
        }

        [Fact]
        public void Max_and_Min_reducers_keep_the_extreme_and_tolerate_missing_values()
        {
            var max = Reducers.Max();
            var min = Reducers.Min();
            Assert.Equal(5, max.Reduce(null, null, 5));
            Assert.Equal(5, max.Reduce(null, 5, null));
            Assert.Equal(7L, max.Reduce(null, 5, 7L));
            Assert.Equal(5, min.Reduce(null, 5, 7L));
            Assert.Equal("Max", max.Name);
            Assert.Equal("Min", min.Name);
        }
    }
}
