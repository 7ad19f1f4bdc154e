using System;
using System.Globalization;

namespace Agno.Core
{
    /// <summary>
    /// A DateTime's text form, by its Kind, as Export-Clixml keeps it: a Utc time ends in <c>Z</c>, an
    /// Unspecified one has no suffix (it comes back as the same wall clock anywhere), and a Local one is
    /// an instant: written with its offset from UTC and read back as the same instant, Local, in the
    /// reader's time zone.
    /// </summary>
    internal static class DateTimeText
    {
        private const string WallClock = "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffff";
        private const int WallClockLength = 27;

        public static string Format(DateTime value)
        {
            var wall = value.ToString(WallClock, CultureInfo.InvariantCulture);
            switch (value.Kind)
            {
                case DateTimeKind.Utc: return wall + "Z";
                case DateTimeKind.Unspecified: return wall;
                default: return wall + FormatOffset(LocalOffset(value));
            }
        }

        public static DateTime Parse(string text)
        {
            if (text.Length < WallClockLength) throw new FormatException($"'{text}' is not a stored DateTime.");
            var wall = DateTime.ParseExact(text.Substring(0, WallClockLength), WallClock, CultureInfo.InvariantCulture, DateTimeStyles.None);
            var suffix = text.Substring(WallClockLength);
            if (suffix.Length == 0) return wall;
            if (suffix == "Z") return DateTime.SpecifyKind(wall, DateTimeKind.Utc);
            long utcTicks = wall.Ticks - ParseOffset(suffix).Ticks;
            if (utcTicks >= DateTime.MinValue.Ticks && utcTicks <= DateTime.MaxValue.Ticks)
            {
                // ToLocalTime marks a time in the hour that repeats when clocks go back, so it converts back alike.
                return new DateTime(utcTicks, DateTimeKind.Utc).ToLocalTime();
            }
            // An instant outside DateTime's UTC range (a Local time within hours of MinValue or MaxValue):
            // move the wall clock by the difference between the writer's zone and this one.
            var edge = utcTicks < DateTime.MinValue.Ticks ? DateTime.MinValue : DateTime.MaxValue;
            long localTicks = utcTicks + TimeZoneInfo.Local.GetUtcOffset(DateTime.SpecifyKind(edge, DateTimeKind.Utc)).Ticks;
            return new DateTime(Math.Min(Math.Max(localTicks, DateTime.MinValue.Ticks), DateTime.MaxValue.Ticks), DateTimeKind.Local);
        }

        /// <summary>
        /// The offset of a Local time from UTC. ToUniversalTime knows which of a repeated hour's two
        /// instants the value is; at the range's ends it clamps, and the zone's rule gives the offset.
        /// </summary>
        private static TimeSpan LocalOffset(DateTime local)
        {
            var utc = local.ToUniversalTime();
            bool clamped = utc.Ticks == DateTime.MinValue.Ticks || utc.Ticks == DateTime.MaxValue.Ticks;
            return clamped ? TimeZoneInfo.Local.GetUtcOffset(local) : TimeSpan.FromTicks(local.Ticks - utc.Ticks);
        }

        // +hh:mm, or +hh:mm:ss for a zone's old local mean time, whose offsets have seconds.
        private static string FormatOffset(TimeSpan offset)
        {
            var sign = offset < TimeSpan.Zero ? "-" : "+";
            var size = offset.Duration();
            var text = sign + size.ToString(@"hh\:mm", CultureInfo.InvariantCulture);
            return size.Seconds == 0 ? text : text + size.ToString(@"\:ss", CultureInfo.InvariantCulture);
        }

        private static TimeSpan ParseOffset(string suffix)
        {
            if (suffix[0] != '+' && suffix[0] != '-') throw new FormatException($"'{suffix}' is not a stored DateTime's offset.");
            var size = TimeSpan.ParseExact(suffix.Substring(1), new[] { @"hh\:mm", @"hh\:mm\:ss" }, CultureInfo.InvariantCulture);
            return suffix[0] == '-' ? size.Negate() : size;
        }
    }
}
