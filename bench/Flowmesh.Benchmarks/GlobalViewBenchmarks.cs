using BenchmarkDotNet.Attributes;
using Flowmesh.Core.Detections;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;
using Flowmesh.Core.Sketches;
using Flowmesh.Core.Views;

namespace Flowmesh.Benchmarks;

/// <summary>
/// The global view over a 5 min window of 40 origins x 30 epochs (1,200 PC-sized records of 200 flows): building
/// the view (selection plus the exact-once merge), a dashboard's set of answers on it, and one detection round
/// (scan, flood, heavy-hitter and first-contact windows) as the agent runs it every epoch.
/// </summary>
[MemoryDiagnoser]
public class GlobalViewBenchmarks
{
    private const long Epoch = 10_000_000;
    private static readonly SketchHashKey Key = new(Enumerable.Range(0, 16).Select(i => (byte)(i * 5 + 1)).ToArray());
    private readonly List<EpochRecord> _records = [];
    private readonly List<ExpectedOrigin> _origins = [];
    private long _now;
    private GlobalView _view = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        long start = 1_700_000_000L * 1_000_000;
        for (int origin = 0; origin < 40; origin++)
        {
            _origins.Add(new ExpectedOrigin($"pc-{origin}", OriginLiveness.Alive));
            for (int epoch = 0; epoch < 30; epoch++)
            {
                var summary = new EpochSummary(new EpochId($"pc-{origin}", start + epoch * Epoch, Epoch), Key);
                for (int i = 0; i < 200; i++)
                {
                    var source = IpAddress128.FromIPv4(0x0A000000u + (uint)(origin * 256 + random.Next(16)));
                    var destination = IpAddress128.FromIPv4(0xC0A80000u + (uint)random.Next(500));
                    int reverse = random.Next(0, 100);
                    summary.Add(new FlowTableDelta(IpProtocol.Tcp, source, (ushort)random.Next(1024, 65535), destination, (ushort)random.Next(1, 1024),
                        random.Next(1, 100), random.Next(40, 150_000), reverse, reverse == 0 ? 0 : random.Next(40, 150_000), random.Next(2) == 0, 0, 0));
                }
                _records.Add(summary.Seal());
            }
        }
        _now = start + 30 * Epoch + 5_000_000;
        _view = Build();
    }

    private GlobalView Build() => GlobalView.Build(_records, _origins, _now, ViewWindow.Last(TimeSpan.FromMinutes(5), _now, TimeSpan.FromSeconds(10)));

    [Benchmark]
    public int BuildFiveMinuteView() => Build().Coverage.Records;

    [Benchmark]
    public int DashboardAnswers()
    {
        int n = _view.Series().Points.Count;
        n += _view.Top(TopKind.Talkers).Items.Count + _view.Top(TopKind.Pairs).Items.Count + _view.Top(TopKind.Ports).Items.Count;
        n += (int)_view.Distinct(DistinctKind.Sources).Count.Value;
        n += _view.Matrix(24).Cells.Count + _view.Matrix(32, 128).Cells.Count;
        n += _view.Contributions().Origins.Count;
        return n;
    }

    [Benchmark]
    public int DetectionRound() => new DetectionEngine().Evaluate(_records, _origins, _now).Count;
}
