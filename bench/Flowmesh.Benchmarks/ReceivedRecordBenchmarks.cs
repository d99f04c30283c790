using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Flowmesh.Agent.Storage;
using Flowmesh.Agent.ViewSources;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Views;
using Flowmesh.Gossip;
using Flowmesh.Gossip.Records;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Benchmarks;

/// <summary>
/// The parts of handling one record another agent sent (issue 14, "Make each record cheaper"), on an 8.7 KB signed
/// record of a PC: unwrapping the envelope, decoding the epoch record, the P-256 signature (importing the key each time,
/// as every record did before, and with the bound key imported once), the whole validator (all three plus TOFU), the
/// durable store write into a database of 50 origins x 30 epochs, and listing the 5 min window's records for a view
/// (<see cref="RecordStoreViewSource"/>, every record handed over decoded).
/// <see cref="ReceivedRecordRoundBenchmarks"/> measures them together, as the agent runs them every epoch.
/// </summary>
[MemoryDiagnoser]
public class ReceivedRecordBenchmarks
{
    private const int Origins = 50, Epochs = 30;
    private SyntheticCluster _cluster = null!;
    private string _directory = "";
    private AgentDatabase _database = null!;
    private RecordValidator _validator = null!;
    private RecordStoreViewSource _viewSource = null!;
    private FixedClock _clock = null!;
    private byte[] _envelope = [];
    private SignedRecord _signed = null!;
    private ECDsa _boundKey = null!;
    private long _next;

    [GlobalSetup]
    public void Setup()
    {
        _cluster = new SyntheticCluster(Origins, SyntheticCluster.PcFlowsPerEpoch);
        _clock = new FixedClock(DateTimeOffset.UnixEpoch.AddTicks((SyntheticCluster.Start + Epochs * SyntheticCluster.EpochMicros) * TimeSpan.TicksPerMicrosecond));
        var trust = new TrustedOrigins();
        _cluster.PinAll(trust);
        _validator = new RecordValidator(trust, SyntheticCluster.Key, new ReplicationOptions(), _clock);
        _directory = Directory.CreateTempSubdirectory("flowmesh-bench-received-").FullName;
        _database = AgentDatabase.Open(_directory, new NodeId("bench"), time: _clock);
        _viewSource = new RecordStoreViewSource(_database.Records, SyntheticCluster.Key, () => [], _clock, TimeSpan.FromSeconds(10));
        _database.Records.Written += _viewSource.Remember;
        // Sealed records are what the validator would pass; stored as the agent stores them (one durable write each).
        for (int epoch = 0; epoch < Epochs; epoch++)
        for (int origin = 0; origin < Origins; origin++)
            _database.Records.Write(_cluster.Sealed(origin, epoch));
        _envelope = _cluster.Envelope(7, Epochs);
        if (!SignedRecord.TryDecode(_envelope, out var signed, out _)) throw new InvalidOperationException("the sample does not decode");
        _signed = signed!;
        _boundKey = ECDsa.Create();
        _boundKey.ImportSubjectPublicKeyInfo(_signed.PublicKey, out _);
        FiveMinuteRecords();
        _next = 1_000_000;
        Console.WriteLine($"// sample signed envelope: {_envelope.Length} bytes");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _database.Dispose();
        _cluster.Dispose();
        _boundKey.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark]
    public bool UnwrapEnvelope() => SignedRecord.TryDecode(_envelope, out _, out _);

    [Benchmark]
    public long DecodeRecord() => EpochRecord.Decode(_signed.Record, SyntheticCluster.Key).Id.StartMicros;

    /// <summary>Imports the key from the envelope, then verifies: what every record paid before the bound key was kept.</summary>
    [Benchmark]
    public bool VerifySignature() => _signed.HasValidSignature();

    [Benchmark]
    public bool VerifyWithBoundKey() => _signed.HasValidSignature(_boundKey);

    [Benchmark]
    public bool ValidateWhole() => _validator.TryVerify(_envelope, out _, out _);

    /// <summary>A new id each call (the store does not look inside the envelope), into the 1,500 records held.</summary>
    [Benchmark]
    public bool StoreWrite() =>
        _database.Records.Write(new VerifiedRecord(new EpochId("pc-new", SyntheticCluster.Start + _next++ * SyntheticCluster.EpochMicros, SyntheticCluster.EpochMicros), "hash", _envelope));

    /// <summary>A replication session's worth, 25 new records in one commit (<see cref="SqliteRecordStore.WriteAll"/>); per record.</summary>
    [Benchmark(OperationsPerInvoke = 25)]
    public int StoreWriteSessionOf25() =>
        _database.Records.WriteAll([.. Enumerable.Range(0, 25).Select(_ =>
            new VerifiedRecord(new EpochId("pc-new", SyntheticCluster.Start + _next++ * SyntheticCluster.EpochMicros, SyntheticCluster.EpochMicros), "hash", _envelope))]).Count;

    /// <summary>What the view source does per view build, with nothing new to decode: 1,500 records, 50 x 30 in the window.</summary>
    [Benchmark]
    public int FiveMinuteRecords()
    {
        long now = SyntheticCluster.Start + Epochs * SyntheticCluster.EpochMicros;
        var window = ViewWindow.Last(TimeSpan.FromMinutes(5), now, TimeSpan.FromSeconds(10));
        return _viewSource.RecordsOverlapping(window.FromMicros, window.ToMicros).Count;
    }
}
