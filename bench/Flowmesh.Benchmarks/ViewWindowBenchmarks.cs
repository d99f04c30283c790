using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Views;

namespace Flowmesh.Benchmarks;

/// <summary>
/// Building the window the dashboard refreshes, the last 5 min, on a node of a 1,000-PC cluster: 1,000 origins x 30
/// epochs of PC-sized records (8.7 KB signed each), already decoded, merged exactly once by <see cref="GlobalView"/>
/// (issue 14's target: at most 50 ms). Also the 1 min window the detection round and the metrics build every epoch.
/// Builds take seconds each, so one build per iteration, no pilot.
/// </summary>
[Config(typeof(OneBuildPerIteration))]
[MemoryDiagnoser]
public class ViewWindowBenchmarks
{
    private const int Epochs = 30;
    private readonly List<EpochRecord> _records = [];
    private readonly List<ExpectedOrigin> _origins = [];
    private long _now;

    [Params(1000)]
    public int Origins { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        using var cluster = new SyntheticCluster(0, SyntheticCluster.PcFlowsPerEpoch);
        for (int origin = 0; origin < Origins; origin++)
        {
            _origins.Add(new ExpectedOrigin(SyntheticCluster.Name(origin), OriginLiveness.Alive));
            for (int epoch = 0; epoch < Epochs; epoch++) _records.Add(cluster.Record(origin, epoch));
        }
        _now = SyntheticCluster.Start + Epochs * SyntheticCluster.EpochMicros + 5_000_000;
    }

    private GlobalView Build(TimeSpan length) =>
        GlobalView.Build(_records, _origins, _now, ViewWindow.Last(length, _now, TimeSpan.FromSeconds(10)));

    [Benchmark]
    public int FiveMinutes() => Build(TimeSpan.FromMinutes(5)).Coverage.Records;

    [Benchmark]
    public int OneMinute() => Build(TimeSpan.FromMinutes(1)).Coverage.Records;

    /// <summary>One build per iteration, 1 warm-up and 5 measured, in process (a separate process would build and generate the 30,000 records again).</summary>
    private sealed class OneBuildPerIteration : ManualConfig
    {
        public OneBuildPerIteration() =>
            AddJob(Job.Default.WithStrategy(RunStrategy.Monitoring).WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(5)
                .WithInvocationCount(1).WithUnrollFactor(1).WithToolchain(new InProcessEmitToolchain(TimeSpan.FromMinutes(30), logOutput: true)));
    }
}
