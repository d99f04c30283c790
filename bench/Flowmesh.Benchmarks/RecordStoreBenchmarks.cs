using BenchmarkDotNet.Attributes;
using Flowmesh.Agent.Storage;
using Flowmesh.Core.Epochs;
using Flowmesh.Gossip;
using Flowmesh.Gossip.Records;

namespace Flowmesh.Benchmarks;

/// <summary>
/// The agent database on the local disk: a durable record write (one fsync of the log per call, 4 KiB envelope),
/// the lookups anti-entropy makes (Contains, Digest over 100 origins), and a time-range read of 100 records.
/// Write is bounded by the disk's fsync latency, not by CPU: compare machines by their fsync, not by this number.
/// </summary>
[MemoryDiagnoser]
public class RecordStoreBenchmarks
{
    private const long Minute = 60_000_000;
    private string _directory = "";
    private AgentDatabase _database = null!;
    private byte[] _envelope = [];
    private long _next;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("flowmesh-bench-store-").FullName;
        _database = AgentDatabase.Open(_directory, new NodeId("bench"));
        _envelope = new byte[4096];
        new Random(42).NextBytes(_envelope);
        // 100 origins x 100 epochs already held.
        for (int epoch = 0; epoch < 100; epoch++)
        for (int origin = 0; origin < 100; origin++)
            _database.Records.Write(new VerifiedRecord(new EpochId($"pc-{origin}", epoch * Minute, Minute), "hash", _envelope));
        _next = 1_000;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _database.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark]
    public bool DurableWrite() => _database.Records.Write(new VerifiedRecord(new EpochId("pc-new", _next++ * Minute, Minute), "hash", _envelope));

    [Benchmark]
    public bool Contains() => _database.Records.Contains(new EpochId("pc-42", 57 * Minute, Minute));

    [Benchmark]
    public int Digest() => _database.Records.Digest().Count;

    [Benchmark]
    public int RangeOf100Records() => _database.Records.RecordsBetween(50 * Minute, 51 * Minute).Count;
}
