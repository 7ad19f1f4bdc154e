using System.Collections.Generic;
using Agno.Core;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace Agno.Benchmarks
{
    /// <summary>
    /// What a parallel branch costs before it runs: a fork of the state. AgnoState.Fork shares
    /// the immutable map (O(1)); the seed clones the whole state by a System.Text.Json round-trip.
    /// The values are ints and short strings, the cheapest a JSON clone can meet.
    /// </summary>
    [MemoryDiagnoser]
    [GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByParams)]
    public class ForkBenchmarks
    {
        public static IEnumerable<int> KeyCounts => BenchmarkSizes.ForkKeys;

        [ParamsSource(nameof(KeyCounts))]
        public int Keys { get; set; }

        private AgnoState _state = new AgnoState();
        private SeedSessionState _seed = new SeedSessionState(new Dictionary<string, object?>());

        [GlobalSetup]
        public void Setup()
        {
            _state = new AgnoState(StateData.Create(Keys));
            _seed = new SeedSessionState(StateData.CreateDictionary(Keys));
        }

        [Benchmark]
        public AgnoState Fork_SessionState() => _state.Fork();

        [Benchmark(Baseline = true)]
        public SeedSessionState Fork_SeedJsonClone() => _seed.Clone();
    }
}
