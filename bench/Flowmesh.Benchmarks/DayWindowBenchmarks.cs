using BenchmarkDotNet.Attributes;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;
using Flowmesh.Core.Sketches;
using Flowmesh.Core.Views;

namespace Flowmesh.Benchmarks;

/// <summary>
/// Building a 24 h window (issue 14: at most 0.5 s on a node of a 1,000-node cluster): from 1 h roll-ups of 1,000
/// origins (24,000 records of about 400 flows each), against the same day from raw 10 s records (8,640 per origin of 60
/// flows each) of one origin, which scales linearly to 1,000 (multiply by 1,000). The window is hour-aligned; a trailing
/// "last 24 h" adds at each edge up to 5 records of each shorter tier per origin (docs/performance.md).
/// Records are in memory (as the view source's decode cache holds them): this is the merge, not the SQLite reads.
/// </summary>
[MemoryDiagnoser]
public class DayWindowBenchmarks
{
    private const long Second = 1_000_000;
    private const long Hour = 3600 * Second;
    private const long Epoch = 10 * Second;
    private static readonly SketchHashKey Key = new(Enumerable.Range(0, 16).Select(i => (byte)(i * 7 + 3)).ToArray());
    private readonly List<EpochRecord> _records = [];
    private readonly List<ExpectedOrigin> _origins = [];
    private long _start;
    private long _now;

    [Params(1000)]
    public int RollupOrigins { get; set; }

    [Params(1)]
    public int RawOrigins { get; set; }

    [GlobalSetup(Target = nameof(DayFromHourRollups))]
    public void SetupRollups()
    {
        var random = new Random(11);
        _start = 1_700_002_800L * Second; // a multiple of 1 h
        for (int o = 0; o < RollupOrigins; o++)
        {
            _origins.Add(new ExpectedOrigin($"pc-{o}", OriginLiveness.Alive));
            for (int h = 0; h < 24; h++) _records.Add(Record(random, o, _start + h * Hour, Hour, flows: 400));
        }
        _now = _start + 24 * Hour + 30 * Second;
    }

    [GlobalSetup(Target = nameof(DayFromRawRecords))]
    public void SetupRaw()
    {
        var random = new Random(12);
        _start = 1_700_002_800L * Second;
        for (int o = 0; o < RawOrigins; o++)
        {
            _origins.Add(new ExpectedOrigin($"pc-{o}", OriginLiveness.Alive));
            for (long t = _start; t < _start + 24 * Hour; t += Epoch) _records.Add(Record(random, o, t, Epoch, flows: 60));
        }
        _now = _start + 24 * Hour + 30 * Second;
    }

    /// <summary>One PC's summary: its 16 addresses talking to 500 servers, a new flow each time.</summary>
    internal static EpochRecord Record(Random random, int origin, long start, long length, int flows)
    {
        var summary = new EpochSummary(new EpochId($"pc-{origin}", start, length), Key);
        for (int i = 0; i < flows; i++)
        {
            var source = IpAddress128.FromIPv4(0x0A000000u + (uint)(origin * 16 + random.Next(16)));
            var destination = IpAddress128.FromIPv4(0xC0A80000u + (uint)random.Next(500));
            int reverse = random.Next(0, 100);
            summary.Add(new FlowTableDelta(IpProtocol.Tcp, source, (ushort)random.Next(1024, 65535), destination, (ushort)random.Next(1, 1024),
                random.Next(1, 100), random.Next(40, 150_000), reverse, reverse == 0 ? 0 : random.Next(40, 150_000), random.Next(2) == 0, start, start));
        }
        return summary.Seal();
    }

    private GlobalView Build() => GlobalView.Build(_records, _origins, _now, ViewWindow.Between(_start, _start + 24 * Hour));

    [Benchmark]
    public int DayFromHourRollups() => Build().Coverage.Records;

    [Benchmark]
    public int DayFromRawRecords() => Build().Coverage.Records;
}
