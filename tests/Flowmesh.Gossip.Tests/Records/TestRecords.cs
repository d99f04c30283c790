using Flowmesh.Core.Epochs;
using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;
using Flowmesh.Core.Sketches;
using Flowmesh.Gossip.Records;

namespace Flowmesh.Gossip.Tests.Records;

/// <summary>Real epoch records of the sizes docs/epoch-records.md measured: typical PC (~5.6 KB) and worst case (~60 KB).</summary>
internal static class TestRecords
{
    public const long Second = 1_000_000;
    public static readonly SketchHashKey Key = new("records-test-key"u8);

    /// <summary>Test "now": 2026-11-24 00:00 UTC, in µs.</summary>
    public static readonly DateTimeOffset Now = new(2026, 11, 24, 0, 0, 0, TimeSpan.Zero);
    public static long NowMicros => Now.ToUnixTimeMilliseconds() * 1000;

    /// <summary>A PC's 10 s: 60 TCP flows to 40 servers (the "typical" record of EpochRecordSizeTests).</summary>
    public static EpochRecord Typical(EpochId id)
    {
        var summary = new EpochSummary(id, Key);
        var random = new Random(StableSeed(id));
        var me = IpAddress128.FromIPv4(0xC0A80100u + (uint)(StableSeed(id) & 0xff));
        for (var i = 0; i < 60; i++)
        {
            var server = IpAddress128.FromIPv4(0x5DB8D800u + (uint)random.Next(40));
            summary.Add(new FlowTableDelta(IpProtocol.Tcp, me, (ushort)(50000 + i), server, 443, random.Next(1, 50), random.Next(100, 20_000),
                random.Next(1, 80), random.Next(100, 100_000), true, id.StartMicros, id.StartMicros));
        }
        return summary.Seal();
    }

    /// <summary>Everything at its largest: IPv6 everywhere, every list full, every distinct counter dense.</summary>
    public static EpochRecord Worst(EpochId id)
    {
        var summary = new EpochSummary(id, Key);
        var random = new Random(StableSeed(id));
        for (var i = 0; i < WorstFlows; i++)
        {
            var source = new IpAddress128(0x2001_0db8_0000_0000UL | (uint)random.Next(), (ulong)random.NextInt64());
            var destination = new IpAddress128(0x2001_0db8_8000_0000UL | (uint)random.Next(), (ulong)random.NextInt64());
            summary.Add(new FlowTableDelta(IpProtocol.Tcp, source, (ushort)random.Next(1024, 65535), destination, (ushort)random.Next(1, 65535),
                random.NextInt64(1, 1L << 40), random.NextInt64(1, 1L << 40), random.NextInt64(1, 1L << 40), random.NextInt64(1, 1L << 40), true, id.StartMicros, id.StartMicros));
        }
        return summary.Seal();
    }

    private const int WorstFlows = 600;

    /// <summary>string.GetHashCode is randomized per process; records must be the same in every run.</summary>
    private static int StableSeed(EpochId id) => (int)(OriginDigest.IdHash(id with { StartMicros = 0 }) & 0x7fff_ffff) ^ (int)(id.StartMicros / Second);

    /// <summary>Epoch <paramref name="epoch"/> of <paramref name="origin"/>: epoch 0 starts 110 s before <see cref="Now"/>, inside the default recent window.</summary>
    public static EpochId Id(string origin, int epoch, long lengthSeconds = 10) =>
        new(origin, NowMicros - 110 * Second + epoch * lengthSeconds * Second, lengthSeconds * Second);
}
