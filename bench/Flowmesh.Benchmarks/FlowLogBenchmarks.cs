using BenchmarkDotNet.Attributes;
using Flowmesh.Agent.Drill;
using Flowmesh.Core.Packets;

namespace Flowmesh.Benchmarks;

/// <summary>
/// The drill-down flow log on the local disk with 200 000 rows held (20 epochs of 10 000 flows among 2 500 hosts):
/// one epoch's batch write (10 000 rows, one transaction), and the queries a drill-down makes (one host over the
/// whole log, a /24 over it).
/// </summary>
[MemoryDiagnoser]
public class FlowLogBenchmarks
{
    private const long Epoch = 10_000_000;
    private const int FlowsPerEpoch = 10_000;
    private string _directory = "";
    private FlowLog _log = null!;
    private FlowRow[] _batch = [];
    private long _next;

    private static FlowRow[] Batch(long epoch) =>
        [.. Enumerable.Range(0, FlowsPerEpoch).Select(i => new FlowRow(epoch, Epoch, 6,
            IpAddress128.FromIPv4((uint)(0x0A000000 | (i % 2500))), (ushort)(30000 + i), IpAddress128.FromIPv4(0x0A640001), 443,
            1000 + i, 10, 5000 + i, 8, epoch + 1, epoch + 2))];

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("flowmesh-bench-flowlog-").FullName;
        _log = FlowLog.Open(_directory, new FlowLogOptions { MaxRows = long.MaxValue });
        for (int e = 0; e < 20; e++) _log.Write(Batch(e * Epoch));
        _batch = Batch(0);
        _next = 1_000;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _log.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark]
    public void WriteEpochOf10000Flows()
    {
        long epoch = _next++ * Epoch;
        for (int i = 0; i < _batch.Length; i++) _batch[i] = _batch[i] with { EpochStartMicros = epoch };
        _log.Write(_batch);
    }

    [Benchmark]
    public int QueryOneHost() =>
        _log.Query(new FlowQuery(0, 20 * Epoch, IpAddress128.FromIPv4(0x0A000007), 128, null, null, 100), out _).Count;

    [Benchmark]
    public int QueryA24() =>
        _log.Query(new FlowQuery(0, 20 * Epoch, IpAddress128.FromIPv4(0x0A000000), 96 + 24, null, null, 100), out _).Count;
}
