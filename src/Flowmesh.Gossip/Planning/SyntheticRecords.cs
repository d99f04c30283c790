using Flowmesh.Core.Epochs;
using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;
using Flowmesh.Core.Sketches;

namespace Flowmesh.Gossip.Planning;

/// <summary>
/// Real epoch records of known content for planning runs: a typical PC's 10 s (60 TCP flows to a pool of 40 servers,
/// about 5.6 KB signed, docs/epoch-records.md "Sizes") or the worst case (every list full, IPv6, ≈ 60 KB). Each
/// record's byte total is known from the flows it was built from, so a run can check views against it.
/// </summary>
public sealed class SyntheticRecords(SketchHashKey key, bool worstCase)
{
    private readonly Dictionary<EpochId, ulong> _bytes = [];

    public SketchHashKey Key { get; } = key;

    /// <summary>The IP bytes (both directions) of the flows behind a record built here.</summary>
    public ulong BytesOf(EpochId id) => _bytes[id];

    public EpochRecord Build(EpochId id)
    {
        var summary = new EpochSummary(id, Key);
        int seed = StableSeed(id);
        var random = new Random(seed);
        ulong bytes = 0;
        int flows = worstCase ? 600 : 60;
        var me = IpAddress128.FromIPv4(0x0A000000u + (uint)(seed & 0xffffff));
        for (int i = 0; i < flows; i++)
        {
            FlowTableDelta flow = worstCase
                ? new FlowTableDelta(IpProtocol.Tcp, new IpAddress128(0x2001_0db8_0000_0000UL | (uint)random.Next(), (ulong)random.NextInt64()), (ushort)random.Next(1024, 65535),
                    new IpAddress128(0x2001_0db8_8000_0000UL | (uint)random.Next(), (ulong)random.NextInt64()), (ushort)random.Next(1, 65535),
                    random.NextInt64(1, 1L << 30), random.NextInt64(1, 1L << 30), random.NextInt64(1, 1L << 30), random.NextInt64(1, 1L << 30), true, id.StartMicros, id.StartMicros)
                : new FlowTableDelta(IpProtocol.Tcp, me, (ushort)(50000 + i), IpAddress128.FromIPv4(0x5DB8D800u + (uint)random.Next(40)), 443,
                    random.Next(1, 50), random.Next(100, 20_000), random.Next(1, 80), random.Next(100, 100_000), true, id.StartMicros, id.StartMicros);
            summary.Add(flow);
            bytes += (ulong)(flow.Bytes + flow.ReverseBytes);
        }
        lock (_bytes) _bytes[id] = bytes;
        return summary.Seal();
    }

    /// <summary>string.GetHashCode is randomized per process; runs must be the same every time.</summary>
    private static int StableSeed(EpochId id) =>
        (int)(Records.OriginDigest.IdHash(id with { StartMicros = 0 }) & 0x7fff_ffff) ^ (int)(id.StartMicros / 1_000_000);
}
