using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Agno.Core;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace Agno.Benchmarks
{
    /// <summary>
    /// Set and Get of one key, on one thread and contended by 2 and 4 threads (this machine's cores
    /// and twice that): AgnoState against the seed's design (a Dictionary behind a
    /// ReaderWriterLockSlim, Go's RWMutex) and ConcurrentDictionary. All three compare keys
    /// case-insensitively and store pre-boxed values, so no measurement includes boxing.
    /// Each invocation does <see cref="Operations"/> operations split among the threads, so a
    /// result is wall time per operation (the inverse of throughput).
    /// <c>ImmutableDictionary</c> is the floor of AgnoState's design, for scale: a bare
    /// ImmutableDictionary of entry objects (as AgnoState stores, so that every Set really makes
    /// a new map) swapped under a lock and read without one, with none of AgnoState's copying,
    /// key checks and change records.
    /// </summary>
    [MemoryDiagnoser]
    [GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
    [CategoriesColumn]
    public class StateAccessBenchmarks
    {
        public const int Operations = 40_000;
        private const int KeyCount = 1024; // a power of two: a key index is masked, not divided

        [Params(1, 2, 4)]
        public int Threads { get; set; }

        private string[] _keys = Array.Empty<string>();
        private object[] _values = Array.Empty<object>();
        private AgnoState _state = new AgnoState();
        private SeedSessionState _locked = new SeedSessionState(new Dictionary<string, object?>());
        private ConcurrentDictionary<string, object?> _concurrent = new ConcurrentDictionary<string, object?>();
        private ImmutableDictionary<string, Entry> _immutable = ImmutableDictionary<string, Entry>.Empty;
        private readonly object _immutableLock = new object();
        private ThreadGang? _gang;
        private long _sink;

        private Action<int> _setState = _ => { }, _getState = _ => { }, _setLocked = _ => { }, _getLocked = _ => { }, _setConcurrent = _ => { }, _getConcurrent = _ => { }, _setImmutable = _ => { }, _getImmutable = _ => { };

        [GlobalSetup]
        public void Setup()
        {
            _keys = new string[KeyCount];
            _values = new object[KeyCount];
            for (int i = 0; i < KeyCount; i++)
            {
                _keys[i] = StateData.Key(i);
                _values[i] = StateData.Value(i);
            }
            _state = new AgnoState(StateData.Create(KeyCount));
            _locked = new SeedSessionState(StateData.CreateDictionary(KeyCount));
            _concurrent = new ConcurrentDictionary<string, object?>(StateData.CreateDictionary(KeyCount), StringComparer.OrdinalIgnoreCase);
            var entries = ImmutableDictionary.CreateBuilder<string, Entry>(StringComparer.OrdinalIgnoreCase);
            for (int i = 0; i < KeyCount; i++) entries[_keys[i]] = new Entry(_values[i]);
            _immutable = entries.ToImmutable();
            _gang = new ThreadGang(Threads);
            int perThread = Operations / Threads;

            // Each thread starts at its own offset and walks every key, so threads collide on keys
            // (and on the one lock or map) as concurrent steps would.
            _setState = t => { int o = t * 257; for (int i = 0; i < perThread; i++) { int k = (o + i) & (KeyCount - 1); _state.Set(_keys[k], _values[k]); } };
            _setLocked = t => { int o = t * 257; for (int i = 0; i < perThread; i++) { int k = (o + i) & (KeyCount - 1); _locked.Set(_keys[k], _values[k]); } };
            _setConcurrent = t => { int o = t * 257; for (int i = 0; i < perThread; i++) { int k = (o + i) & (KeyCount - 1); _concurrent[_keys[k]] = _values[k]; } };
            _setImmutable = t => { int o = t * 257; for (int i = 0; i < perThread; i++) { int k = (o + i) & (KeyCount - 1); lock (_immutableLock) Volatile.Write(ref _immutable, _immutable.SetItem(_keys[k], new Entry(_values[k]))); } };
            _getState = t => { int o = t * 257, found = 0; for (int i = 0; i < perThread; i++) { if (_state.TryGet(_keys[(o + i) & (KeyCount - 1)], out var v) && v != null) found++; } Interlocked.Add(ref _sink, found); };
            _getLocked = t => { int o = t * 257, found = 0; for (int i = 0; i < perThread; i++) { if (_locked.TryGet(_keys[(o + i) & (KeyCount - 1)], out var v) && v != null) found++; } Interlocked.Add(ref _sink, found); };
            _getImmutable = t => { int o = t * 257, found = 0; for (int i = 0; i < perThread; i++) { if (Volatile.Read(ref _immutable).TryGetValue(_keys[(o + i) & (KeyCount - 1)], out var e) && e.Value != null) found++; } Interlocked.Add(ref _sink, found); };
            _getConcurrent = t => { int o = t * 257, found = 0; for (int i = 0; i < perThread; i++) { if (_concurrent.TryGetValue(_keys[(o + i) & (KeyCount - 1)], out var v) && v != null) found++; } Interlocked.Add(ref _sink, found); };
        }

        /// <summary>A stored value; a new one per Set, as AgnoState's entries (equal values never make SetItem a no-op).</summary>
        private sealed class Entry
        {
            public Entry(object? value) { Value = value; }
            public object? Value { get; }
        }

        [GlobalCleanup]
        public void Cleanup() => _gang?.Dispose();

        [Benchmark(OperationsPerInvoke = Operations), BenchmarkCategory("Set")]
        public void Set_SessionState() => _gang!.Run(_setState);

        [Benchmark(OperationsPerInvoke = Operations), BenchmarkCategory("Set")]
        public void Set_RwLockDictionary() => _gang!.Run(_setLocked);

        [Benchmark(OperationsPerInvoke = Operations, Baseline = true), BenchmarkCategory("Set")]
        public void Set_ConcurrentDictionary() => _gang!.Run(_setConcurrent);

        [Benchmark(OperationsPerInvoke = Operations), BenchmarkCategory("Set")]
        public void Set_ImmutableDictionary() => _gang!.Run(_setImmutable);

        [Benchmark(OperationsPerInvoke = Operations), BenchmarkCategory("Get")]
        public long Get_SessionState() { _gang!.Run(_getState); return _sink; }

        [Benchmark(OperationsPerInvoke = Operations), BenchmarkCategory("Get")]
        public long Get_RwLockDictionary() { _gang!.Run(_getLocked); return _sink; }

        [Benchmark(OperationsPerInvoke = Operations), BenchmarkCategory("Get")]
        public long Get_ImmutableDictionary() { _gang!.Run(_getImmutable); return _sink; }

        [Benchmark(OperationsPerInvoke = Operations, Baseline = true), BenchmarkCategory("Get")]
        public long Get_ConcurrentDictionary() { _gang!.Run(_getConcurrent); return _sink; }
    }
}
