using System.Collections.Generic;
using System.Linq;
using Agno.Core;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace Agno.Benchmarks
{
    /// <summary>
    /// The merge after 3 branches that each changed <see cref="ChangedKeys"/> keys (distinct keys,
    /// no conflicts): the branches' deltas through StateMerger.Merge, then Apply onto the state,
    /// as ParallelNode does. Against the seed's merge, which copies the original's entries and then
    /// every branch's whole state. A state of 1,000 keys beside 100,000 shows what the size costs.
    /// </summary>
    [MemoryDiagnoser]
    [GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByParams)]
    public class MergeBenchmarks
    {
        private const int Branches = 3;

        public static IEnumerable<int> StateKeyCounts => BenchmarkSizes.MergeStateKeys;

        [ParamsSource(nameof(StateKeyCounts))]
        public int StateKeys { get; set; }

        [Params(1, 100)]
        public int ChangedKeys { get; set; }

        private AgnoState _state = new AgnoState();
        private StateSnapshot _origin = new AgnoState().Snapshot();
        private AgnoState[] _forks = new AgnoState[0];
        private readonly MergePolicy _policy = new MergePolicy();
        private SeedSessionState _seedOriginal = new SeedSessionState(new Dictionary<string, object?>());
        private SeedSessionState[] _seedBranches = new SeedSessionState[0];

        [GlobalSetup]
        public void Setup()
        {
            _state = new AgnoState(StateData.Create(StateKeys));
            _origin = _state.Snapshot();
            _forks = new AgnoState[Branches];
            _seedOriginal = new SeedSessionState(StateData.CreateDictionary(StateKeys));
            _seedBranches = new SeedSessionState[Branches];
            for (int b = 0; b < Branches; b++)
            {
                _forks[b] = AgnoState.ForkOf(_origin);
                _seedBranches[b] = new SeedSessionState(StateData.CreateDictionary(StateKeys));
                for (int j = 0; j < ChangedKeys; j++)
                {
                    int i = b * ChangedKeys + j;
                    _forks[b].Set(StateData.Key(i), -i - 1);
                    _seedBranches[b].Set(StateData.Key(i), -i - 1);
                }
            }
        }

        [Benchmark]
        public int Merge_SessionState()
        {
            var deltas = _forks.Select((fork, b) => new BranchDelta("branch" + b, fork.GetDelta())).ToList();
            var merged = StateMerger.Merge("parallel", _origin, deltas, _policy);
            _state.Apply(merged.Delta);
            return merged.Delta.Count;
        }

        [Benchmark(Baseline = true)]
        public int Merge_SeedFullCopy() => SeedSessionState.Merge(_seedOriginal, _seedBranches).Count;
    }
}
