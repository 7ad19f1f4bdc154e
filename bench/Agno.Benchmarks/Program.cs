using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Csv;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

namespace Agno.Benchmarks
{
    /// <summary>
    /// Runs the engine's benchmarks and writes BenchmarkDotNet's JSON, CSV and Markdown reports.
    /// <code>
    /// dotnet run -c Release --project bench/Agno.Benchmarks -- [--quick] [--out &lt;folder&gt;] [BenchmarkDotNet arguments, e.g. --filter *Fork*]
    /// dotnet run -c Release --project bench/Agno.Benchmarks -- --store [--quick] [--out &lt;folder&gt;]
    /// </code>
    /// --quick: every benchmark once at small sizes, in this process (no generated project to build):
    /// what the test suite runs so that no benchmark rots; its numbers mean nothing.
    /// Otherwise each benchmark runs in its own process, 3 warm-up and 15 measured iterations.
    /// Reports go to &lt;folder&gt;/results (default: BenchmarkDotNet.Artifacts).
    /// --store runs <see cref="StoreBenchmark"/> instead (interleaved, not BenchmarkDotNet): &lt;folder&gt;/store.json.
    /// </summary>
    public static class Program
    {
        public static int Main(string[] args)
        {
            var rest = new List<string>();
            bool quick = false, store = false;
            string artifacts = Path.GetFullPath("BenchmarkDotNet.Artifacts");
            for (int i = 0; i < args.Length; i++)
            {
                switch (args[i])
                {
                    case "--quick":
                        quick = true;
                        break;
                    case "--store":
                        store = true;
                        break;
                    case "--out":
                        if (i + 1 >= args.Length) return Usage("--out needs a folder.");
                        artifacts = Path.GetFullPath(args[++i]);
                        break;
                    default:
                        rest.Add(args[i]);
                        break;
                }
            }
            if (store) return StoreBenchmark.Run(artifacts, quick);

            // Without a filter BenchmarkDotNet asks which benchmarks to run; run them all.
            if (!rest.Contains("--filter") && !rest.Contains("-f")) rest.AddRange(new[] { "--filter", "*" });

            // Read by the benchmarks' parameter sources (an environment variable, so that a child process sees it too).
            Environment.SetEnvironmentVariable(BenchmarkSizes.QuickVariable, quick ? "1" : null);

            var job = quick
                ? Job.Dry.WithToolchain(InProcessEmitToolchain.Instance).WithId("Quick")
                : Job.Default.WithWarmupCount(3).WithIterationCount(15).WithIterationTime(TimeInterval.FromMilliseconds(250)).WithId("Full");

            var config = ManualConfig.CreateEmpty()
                .AddJob(job)
                .AddDiagnoser(MemoryDiagnoser.Default)
                .AddColumnProvider(DefaultColumnProviders.Instance)
                .AddColumn(StatisticColumn.Median, StatisticColumn.Min, StatisticColumn.Max)
                .AddLogger(ConsoleLogger.Default)
                .AddExporter(JsonExporter.Full, CsvExporter.Default, MarkdownExporter.GitHub)
                .WithArtifactsPath(artifacts)
                .WithOptions(ConfigOptions.DisableLogFile);

            var summaries = BenchmarkSwitcher
                .FromTypes(new[] { typeof(StateAccessBenchmarks), typeof(ForkBenchmarks), typeof(MergeBenchmarks) })
                .Run(rest.ToArray(), config)
                .ToList();

            var failed = summaries.Count == 0
                || summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Length == 0 || s.Reports.Any(r => !r.Success));
            Console.WriteLine(failed ? "Some benchmarks failed or none ran." : $"Reports written to {Path.Combine(artifacts, "results")}");
            return failed ? 1 : 0;
        }

        private static int Usage(string problem)
        {
            Console.Error.WriteLine(problem);
            Console.Error.WriteLine("Usage: Agno.Benchmarks [--quick] [--out <folder>] [BenchmarkDotNet arguments]");
            return 2;
        }
    }
}
