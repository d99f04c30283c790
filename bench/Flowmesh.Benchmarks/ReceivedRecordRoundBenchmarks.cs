using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Flowmesh.Agent.Hosting;
using Flowmesh.Agent.Storage;
using Flowmesh.Agent.ViewSources;
using Flowmesh.Core.Detections;
using Flowmesh.Gossip;
using Flowmesh.Gossip.Records;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Benchmarks;

/// <summary>
/// One epoch of a 200-PC cluster arriving at an agent, end to end, wired as AgentRuntime wires it: every record through
/// <see cref="RecordIntake"/> (validator, then the durable SQLite write, per session of 25), then what the agent does once per epoch because
/// records arrived: the ownership refresh (reads each origin's newest record), the detection round (views of the last
/// 1 and 5 min through the <see cref="ViewCache"/>) and a metrics scrape (the 1 min totals). The store already holds
/// 30 epochs, so the windows are full. Each invocation is one epoch (200 records); BenchmarkDotNet reports wall time per
/// record, and the process CPU time per record of every invocation is printed at the end ("CPU per record"), which
/// is the figure to quote on a shared machine.
/// </summary>
[Config(typeof(OneEpochPerInvocation))]
[MemoryDiagnoser]
public class ReceivedRecordRoundBenchmarks
{
    private const int Origins = 200, Preloaded = 30, Rounds = 40;
    private SyntheticCluster _cluster = null!;
    private string _directory = "";
    private AgentDatabase _database = null!;
    private RecordValidator _validator = null!;
    private ReplicationCounters _counters = null!;
    private FixedClock _clock = null!;
    private ViewCache _views = null!;
    private DetectionRounds _detections = null!;
    private AddressOwnership _ownership = null!;
    private readonly List<byte[][]> _epochs = [];
    private readonly List<double> _cpuPerRecord = [];
    private int _nextEpoch;

    [GlobalSetup]
    public void Setup()
    {
        _cluster = new SyntheticCluster(Origins, SyntheticCluster.PcFlowsPerEpoch);
        for (int epoch = 0; epoch < Preloaded + Rounds; epoch++)
            _epochs.Add([.. Enumerable.Range(0, Origins).Select(origin => _cluster.Envelope(origin, epoch))]);
        _clock = new FixedClock(At(0));
        var trust = new TrustedOrigins();
        _cluster.PinAll(trust);
        _validator = new RecordValidator(trust, SyntheticCluster.Key, new ReplicationOptions(), _clock);
        _counters = new ReplicationCounters();
        _directory = Directory.CreateTempSubdirectory("flowmesh-bench-round-").FullName;
        _database = AgentDatabase.Open(_directory, new NodeId("bench"), time: _clock);
        var members = Enumerable.Range(0, Origins).Select(i => new Core.Views.ExpectedOrigin(SyntheticCluster.Name(i), Core.Views.OriginLiveness.Alive)).ToList();
        var source = new RecordStoreViewSource(_database.Records, SyntheticCluster.Key, () => members, _clock, TimeSpan.FromSeconds(10));
        _views = new ViewCache(source);
        _detections = new DetectionRounds(_views, new DetectionEngine());
        _ownership = new AddressOwnership("bench", _database.Records, SyntheticCluster.Key, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(10));
        // As AgentRuntime wires them: what the validator decoded reaches the view and the ownership.
        _database.Records.Written += source.Remember;
        _database.Records.Written += _ownership.Remember;
        for (int epoch = 0; epoch < Preloaded; epoch++) IntakeOnly();
        Console.WriteLine($"// mean signed envelope: {_epochs.SelectMany(e => e).Average(e => e.Length):0} bytes");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_cpuPerRecord.Count > 0)
        {
            var sorted = _cpuPerRecord.Order().ToList();
            Console.WriteLine($"// CPU per record (ms), {sorted.Count} epochs of {Origins}: median {sorted[sorted.Count / 2]:0.000}, min {sorted[0]:0.000}, max {sorted[^1]:0.000}");
        }
        _database.Dispose();
        _cluster.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>Validate and store only.</summary>
    [Benchmark(OperationsPerInvoke = Origins)]
    public long Intake() => Measured(IntakeOnly);

    /// <summary>Validate, store, and everything the agent does per epoch with what arrived.</summary>
    [Benchmark(OperationsPerInvoke = Origins)]
    public long IntakeAndViews() => Measured(Round);

    private long Measured(Func<long> round)
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        long result = round();
        _cpuPerRecord.Add((Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / Origins);
        return result;
    }

    private long IntakeOnly()
    {
        if (_nextEpoch >= _epochs.Count) throw new InvalidOperationException($"only {Rounds} epochs were prepared; run fewer iterations");
        int epoch = _nextEpoch++;
        // The records of an epoch arrive a few seconds after it ends.
        _clock.Now = At(epoch + 1).AddSeconds(3);
        // In sessions of 25 records (218 KB, within a session's 256 KiB budget), as anti-entropy pulls them.
        foreach (var session in _epochs[epoch].Chunk(25)) RecordIntake.AdmitAll(_database.Records, _validator, session, _counters, pulled: true);
        return _counters.RecordsPulled;
    }

    private long Round()
    {
        long admitted = IntakeOnly();
        _ownership.Refresh(_clock.Now.ToUnixTimeMilliseconds() * 1000, [], 7946);
        _detections.EvaluateIfDue();
        return admitted + (long)_views.Last(TimeSpan.FromMinutes(1)).Totals().Bytes.Value;
    }

    private static DateTimeOffset At(int epoch) =>
        DateTimeOffset.UnixEpoch.AddTicks((SyntheticCluster.Start + epoch * SyntheticCluster.EpochMicros) * TimeSpan.TicksPerMicrosecond);

    /// <summary>
    /// One invocation per iteration (each consumes an epoch of fresh records), no pilot: 3 warm-up and 10 measured epochs.
    /// In process: the setup prepares 14,000 signed records, and a loaded machine timed out building a separate one.
    /// </summary>
    private sealed class OneEpochPerInvocation : ManualConfig
    {
        public OneEpochPerInvocation() =>
            AddJob(Job.Default.WithStrategy(RunStrategy.Monitoring).WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(10)
                .WithInvocationCount(1).WithUnrollFactor(1).WithToolchain(new InProcessEmitToolchain(TimeSpan.FromMinutes(30), logOutput: true)));
    }
}
