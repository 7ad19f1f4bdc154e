using System;

namespace Agno.Benchmarks
{
    /// <summary>The sizes the benchmarks run at: the in a full run, small ones in a quick run.</summary>
    public static class BenchmarkSizes
    {
        public const string QuickVariable = "AGNO_BENCH_QUICK";

        public static bool Quick => Environment.GetEnvironmentVariable(QuickVariable) == "1";

        /// <summary>State sizes for fork: the 10 / 1,000 / 100,000, and 10,000 for the JSON-clone target.</summary>
        public static int[] ForkKeys => Quick ? new[] { 10, 1_000 } : new[] { 10, 1_000, 10_000, 100_000 };

        /// <summary>State sizes for merge: the 100,000, and 1,000 to show the cost does not follow the size.</summary>
        public static int[] MergeStateKeys => Quick ? new[] { 1_000 } : new[] { 1_000, 100_000 };
    }
}
