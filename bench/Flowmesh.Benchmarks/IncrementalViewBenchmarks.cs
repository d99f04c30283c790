using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Views;

namespace Flowmesh.Benchmarks;

/// <summary>
/// Rebuilding a window the way the agent does, with a <see cref="SlotMergeCache"/> kept between builds (issue 14: the
/// last 5 min in at most 50 ms and 24 h in at most 0.5 s at 1,000 origins): each iteration starts from a fresh cache
/// warmed by the previous build (not measured), then measures one build, either of the same window (a refresh with
/// nothing new: the dashboard every 5 s) or of the window one step later (a new epoch's 1,000 records, or a new hour's
/// 1,000 roll-ups, to merge). From scratch, the same windows are <see cref="ViewWindowBenchmarks"/> and
/// <see cref="DayWindowBenchmarks"/>.
/// </summary>
[Config(typeof(OneBuildPerIteration))]
[MemoryDiagnoser]
public class IncrementalViewBenchmarks
{
    private const long Hour = 3_600_000_000;
    private readonly List<EpochRecord> _records = [];
    private readonly List<ExpectedOrigin> _origins = [];
    private SlotMergeCache _cache = new();
    private long _now, _start;

    [Params(1000)]
    public int Origins { get; set; }

    [GlobalSetup(Targets = [nameof(FiveMinutesRefresh), nameof(FiveMinutesNextEpoch)])]
    public void SetupEpochs()
    {
        using var cluster = new SyntheticCluster(0, SyntheticCluster.PcFlowsPerEpoch);
        for (int origin = 0; origin < Origins; origin++)
        {
            _origins.Add(new ExpectedOrigin(SyntheticCluster.Name(origin), OriginLiveness.Alive));
            for (int epoch = 0; epoch < 31; epoch++) _records.Add(cluster.Record(origin, epoch));
        }
        // 30 epochs before now, the 31st (the newest) arrives between the warm-up build and the measured one.
        _now = SyntheticCluster.Start + 31 * SyntheticCluster.EpochMicros + 5_000_000;
    }

    [GlobalSetup(Targets = [nameof(DayRefresh), nameof(DayNextHour)])]
    public void SetupHours()
    {
        var random = new Random(11);
        _start = 1_700_002_800L * 1_000_000; // a multiple of 1 h
        for (int o = 0; o < Origins; o++)
        {
            _origins.Add(new ExpectedOrigin($"pc-{o}", OriginLiveness.Alive));
            for (int h = 0; h < 25; h++) _records.Add(DayWindowBenchmarks.Record(random, o, _start + h * Hour, Hour, flows: 400));
        }
    }

    private ViewWindow FiveMinutesAt(long now) => ViewWindow.Last(TimeSpan.FromMinutes(5), now, TimeSpan.FromSeconds(10));

    private GlobalView Build(IEnumerable<EpochRecord> records, long now, ViewWindow window) =>
        GlobalView.Build(records, _origins, now, window, slots: _cache);

    [IterationSetup(Target = nameof(FiveMinutesRefresh))]
    public void WarmFiveMinutes()
    {
        _cache = new SlotMergeCache();
        Build(_records, _now, FiveMinutesAt(_now));
    }

    [IterationSetup(Target = nameof(FiveMinutesNextEpoch))]
    public void WarmFiveMinutesOneEpochEarlier()
    {
        _cache = new SlotMergeCache();
        long earlier = _now - SyntheticCluster.EpochMicros;
        long newest = SyntheticCluster.Start + 30 * SyntheticCluster.EpochMicros;
        Build(_records.Where(r => r.Id.StartMicros < newest), earlier, FiveMinutesAt(earlier));
    }

    [IterationSetup(Target = nameof(DayRefresh))]
    public void WarmDay()
    {
        _cache = new SlotMergeCache();
        Build(_records, _start + 25 * Hour + 30_000_000, ViewWindow.Between(_start + Hour, _start + 25 * Hour));
    }

    [IterationSetup(Target = nameof(DayNextHour))]
    public void WarmDayOneHourEarlier()
    {
        _cache = new SlotMergeCache();
        Build(_records.Where(r => r.Id.StartMicros < _start + 24 * Hour), _start + 24 * Hour + 30_000_000, ViewWindow.Between(_start, _start + 24 * Hour));
    }

    /// <summary>The last 5 min again, nothing new: every slot from the cache.</summary>
    [Benchmark]
    public int FiveMinutesRefresh() => Build(_records, _now, FiveMinutesAt(_now)).Coverage.Records;

    /// <summary>The last 5 min one epoch later: the new epoch's records merged into their slot, the rest from the cache.</summary>
    [Benchmark]
    public int FiveMinutesNextEpoch() => Build(_records, _now, FiveMinutesAt(_now)).Coverage.Records;

    /// <summary>24 h of hour roll-ups again, nothing new.</summary>
    [Benchmark]
    public int DayRefresh() => Build(_records, _start + 25 * Hour + 30_000_000, ViewWindow.Between(_start + Hour, _start + 25 * Hour)).Coverage.Records;

    /// <summary>24 h one hour later: the new hour's roll-ups merged, 23 hours from the cache.</summary>
    [Benchmark]
    public int DayNextHour() => Build(_records, _start + 25 * Hour + 30_000_000, ViewWindow.Between(_start + Hour, _start + 25 * Hour)).Coverage.Records;

    /// <summary>One build per iteration (each needs its own warmed cache), 1 warm-up and 3 measured (each warm-up of the cache is a build from scratch), in process.</summary>
    private sealed class OneBuildPerIteration : ManualConfig
    {
        public OneBuildPerIteration() =>
            AddJob(Job.Default.WithStrategy(RunStrategy.Monitoring).WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(3)
                .WithInvocationCount(1).WithUnrollFactor(1).WithToolchain(new InProcessEmitToolchain(TimeSpan.FromMinutes(30), logOutput: true)));
    }
}
