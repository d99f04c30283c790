using BenchmarkDotNet.Attributes;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;
using Flowmesh.Core.Sketches;
using Flowmesh.Core.Views;

namespace Flowmesh.Benchmarks;

/// <summary>
/// Epoch records: ns per flow delta folded into a summary (OperationsPerInvoke = deltas per call), merging 1,000
/// records exactly once (100 origins x 10 epochs), and decoding/sealing a busy record (divide its size by the
/// time for MB/s). Sealing is encode plus the validating decode the record gets before anyone sees it.
/// </summary>
[MemoryDiagnoser]
public class EpochBenchmarks
{
    private const int Deltas = 4096;
    private static readonly SketchHashKey Key = new(Enumerable.Range(0, 16).Select(i => (byte)(i * 7 + 3)).ToArray());

    private FlowTableDelta[] _deltas = [];
    private FlowTableDelta[] _contextDeltas = [];
    private EpochSummary _contextSummary = null!;
    private EpochSummary _summary = null!;
    private EpochSummary _toSeal = null!;
    private List<EpochRecord> _records = [];
    private byte[] _busyRecord = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _deltas = new FlowTableDelta[Deltas];
        for (int i = 0; i < Deltas; i++) _deltas[i] = RandomDelta(random, hosts: 2_000);
        _summary = new EpochSummary(new EpochId("bench", 0, 10_000_000), Key);
        // The same deltas with host context: one of 50 programs and an RTT each (issue 17's records extensions 6 and 8).
        _contextDeltas = _deltas.Select((d, i) => d with
        {
            Context = new Core.HostContext.FlowHostContext
            {
                Process = new Core.HostContext.ProcessIdentity(1000 + i % 50, $"program-{i % 50}", Core.HostContext.AttributionSource.KernelSocketHook) { User = "alice" },
                Tcp = new Core.HostContext.TcpPathStats(1000 + random.Next(100_000), 900, 120_000, 0),
            },
        }).ToArray();
        _contextSummary = new EpochSummary(new EpochId("bench", 0, 10_000_000), Key);

        // 100 origins x 10 epochs, each a PC-sized record of 200 flows.
        _records = [];
        for (int origin = 0; origin < 100; origin++)
        {
            for (int epoch = 0; epoch < 10; epoch++)
            {
                var summary = new EpochSummary(new EpochId($"pc-{origin}", epoch * 10_000_000L, 10_000_000), Key);
                for (int i = 0; i < 200; i++) summary.Add(RandomDelta(random, hosts: 500));
                _records.Add(summary.Seal());
            }
        }

        var busy = new EpochSummary(new EpochId("busy", 0, 10_000_000), Key);
        for (int i = 0; i < 20_000; i++) busy.Add(RandomDelta(random, hosts: 50_000));
        _busyRecord = busy.Seal().Encode();
    }

    private static FlowTableDelta RandomDelta(Random random, int hosts)
    {
        var source = IpAddress128.FromIPv4(0x0A000000u + (uint)random.Next(hosts));
        var destination = IpAddress128.FromIPv4(0xC0A80000u + (uint)random.Next(hosts));
        int reversePackets = random.Next(0, 100);
        return new FlowTableDelta(IpProtocol.Tcp, source, (ushort)random.Next(1024, 65535), destination, (ushort)random.Next(1, 1024),
            random.Next(1, 100), random.Next(40, 150_000), reversePackets, reversePackets == 0 ? 0 : random.Next(40, 150_000), random.Next(2) == 0, 0, 0);
    }

    [Benchmark(OperationsPerInvoke = Deltas)]
    public void FoldFlowDelta()
    {
        var summary = _summary;
        foreach (ref readonly var delta in _deltas.AsSpan()) summary.Add(in delta);
    }

    /// <summary>As <see cref="FoldFlowDelta"/>, every delta with a program and an RTT: the cost host context adds.</summary>
    [Benchmark(OperationsPerInvoke = Deltas)]
    public void FoldFlowDeltaWithHostContext()
    {
        var summary = _contextSummary;
        foreach (ref readonly var delta in _contextDeltas.AsSpan()) summary.Add(in delta);
    }

    /// <summary>The merge every answer starts from: the global view of the 1,000 records' window.</summary>
    [Benchmark]
    public GlobalView Merge1000Records() => GlobalView.Build(_records, [], 100_000_000, new ViewWindow(0, 100_000_000));

    [Benchmark]
    public EpochRecord DecodeBusyRecord() => EpochRecord.Decode(_busyRecord, Key);

    [IterationSetup(Target = nameof(SealBusyRecord))]
    public void PrepareSeal()
    {
        var random = new Random(43);
        _toSeal = new EpochSummary(new EpochId("busy", 0, 10_000_000), Key);
        for (int i = 0; i < 20_000; i++) _toSeal.Add(RandomDelta(random, hosts: 50_000));
    }

    [Benchmark]
    [InvocationCount(1)]
    public EpochRecord SealBusyRecord() => _toSeal.Seal();

    /// <summary>Size of the busy record, for MB/s: printed once so the report can quote it.</summary>
    [GlobalCleanup]
    public void ReportSize() => Console.WriteLine($"// busy record: {_busyRecord.Length} bytes; 1,000 PC records: {_records.Sum(r => r.EncodedLength)} bytes");
}
