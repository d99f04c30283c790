using Flowmesh.Core.Epochs;
using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;
using Flowmesh.Core.Sketches;

namespace Flowmesh.Core.Tests.Zones;

/// <summary>Records of PCs with known flows, so the truth (byte sums, exact distinct sets) is computed from the flows.</summary>
internal static class ZoneTestRecords
{
    public const long Second = 1_000_000;
    public const long PeriodStart = 1_790_000_010L * Second; // a multiple of 30 s
    public const long Period = 30 * Second;
    public static readonly SketchHashKey Key = new("zone-test-key!!!"u8);

    /// <summary>The flows PC <paramref name="pc"/> saw in epoch <paramref name="epoch"/> (10 s) of the period.</summary>
    public static IReadOnlyList<FlowTableDelta> FlowsOf(int pc, int epoch, int seed = 0)
    {
        var random = new Random(pc * 1000 + epoch * 7 + seed);
        var me = IpAddress128.FromIPv4(0x0A000000u + (uint)pc);
        long start = PeriodStart + epoch * 10 * Second;
        return Enumerable.Range(0, 20).Select(i =>
        {
            var server = IpAddress128.FromIPv4(0x5DB80000u + (uint)random.Next(300));
            return new FlowTableDelta(IpProtocol.Tcp, me, (ushort)(40000 + i), server, 443, random.Next(1, 50), random.Next(100, 20_000),
                random.Next(1, 80), random.Next(100, 100_000), true, start, start);
        }).ToList();
    }

    public static EpochRecord Record(int pc, int epoch, int seed = 0)
    {
        var id = new EpochId($"pc-{pc}", PeriodStart + epoch * 10 * Second, 10 * Second);
        var summary = new EpochSummary(id, Key);
        foreach (var f in FlowsOf(pc, epoch, seed)) summary.Add(f);
        return summary.Seal();
    }

    /// <summary>The records of PCs <paramref name="pcs"/>, three 10 s epochs each.</summary>
    public static List<EpochRecord> Records(IEnumerable<int> pcs) => [.. pcs.SelectMany(pc => Enumerable.Range(0, 3).Select(e => Record(pc, e)))];
}
