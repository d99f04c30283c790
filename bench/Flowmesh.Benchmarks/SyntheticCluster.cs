using Flowmesh.Core.Epochs;
using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;
using Flowmesh.Core.Sketches;
using Flowmesh.Gossip;
using Flowmesh.Gossip.Records;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Benchmarks;

/// <summary>
/// PCs that seal and sign records the way agents do (EpochSummary, then RecordSealer with a P-256 identity each), with a
/// fixed seed: the input of the received-record and view-window benchmarks. A given number of flows of
/// one PC per epoch (<see cref="PcFlowsPerEpoch"/> for the usual size).
/// </summary>
internal sealed class SyntheticCluster : IDisposable
{
    public const long EpochMicros = 10_000_000;

    /// <summary>Flows per PC per 10 s epoch: an 8.7 KB signed envelope, about twice the median of the agent-overhead run (3.9 KB), so costs are upper bounds.</summary>
    public const int PcFlowsPerEpoch = 60;
    public static readonly long Start = 1_700_000_000L * 1_000_000;
    public static readonly SketchHashKey Key = new(Enumerable.Range(0, 16).Select(i => (byte)(i * 5 + 1)).ToArray());

    private readonly NodeIdentity[] _identities;
    private readonly int _flowsPerRecord;

    public SyntheticCluster(int origins, int flowsPerRecord)
    {
        _identities = [.. Enumerable.Range(0, origins).Select(_ => NodeIdentity.Generate())];
        _flowsPerRecord = flowsPerRecord;
    }

    public int Origins => _identities.Length;

    public static string Name(int origin) => $"pc-{origin:D5}";

    /// <summary>Binds every origin's key, as the agent does at start with the bindings it saved.</summary>
    public void PinAll(TrustedOrigins trust)
    {
        for (int i = 0; i < _identities.Length; i++) trust.Pin(new NodeId(Name(i)), _identities[i].PublicKey);
    }

    /// <summary>The decoded record of <paramref name="origin"/> for epoch number <paramref name="epoch"/> (deterministic).</summary>
    public EpochRecord Record(int origin, int epoch)
    {
        var random = new Random(origin * 100_003 + epoch);
        var summary = new EpochSummary(new EpochId(Name(origin), Start + epoch * EpochMicros, EpochMicros), Key);
        for (int i = 0; i < _flowsPerRecord; i++)
        {
            var source = IpAddress128.FromIPv4(0x0A000000u + (uint)(origin * 4 + random.Next(4)));
            var destination = IpAddress128.FromIPv4(0xC0A80000u + (uint)random.Next(2000));
            int reverse = random.Next(0, 100);
            summary.Add(new FlowTableDelta(IpProtocol.Tcp, source, (ushort)random.Next(1024, 65535), destination, (ushort)random.Next(1, 1024),
                random.Next(1, 100), random.Next(40, 150_000), reverse, reverse == 0 ? 0 : random.Next(40, 150_000), random.Next(2) == 0, 0, 0));
        }
        return summary.Seal();
    }

    /// <summary>The signed envelope of that record, as the origin's agent stores and replicates it.</summary>
    public byte[] Envelope(int origin, int epoch) => Sealed(origin, epoch).SignedEnvelope;

    /// <summary>That record sealed by its origin (envelope and decoded record), as its own agent stores it.</summary>
    public VerifiedRecord Sealed(int origin, int epoch) => new RecordSealer(_identities[origin], new NodeId(Name(origin))).Seal(Record(origin, epoch));

    public void Dispose()
    {
        foreach (var identity in _identities) identity.Dispose();
    }
}
