using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;
using static Flowmesh.Core.Tests.Flows.TestPacket;

namespace Flowmesh.Core.Tests.Flows;

/// <summary>
/// Interim export: deltas put every packet in the window (between two exports) in which it was observed, sum to
/// the records the table delivers anyway, and leave those records unchanged.
/// </summary>
[Collection(nameof(RunsAloneCollection))]
public sealed class FlowTableInterimExportTests
{
    private const long Second = 1_000_000;

    [Fact]
    public void DeltasCarryEachWindowsTrafficAndTheRemainderAtFlowEnd()
    {
        var records = new List<FlowRecord>();
        var deltas = new List<FlowTableDelta>();
        var table = new FlowTable(new FlowTableOptions(), records.Add) { DeltaSink = deltas.Add };

        table.Observe(Tcp("10.0.0.1", 40000, "10.0.0.2", 80, Syn, 1 * Second, 60));
        table.Observe(Tcp("10.0.0.2", 80, "10.0.0.1", 40000, Syn | Ack, 2 * Second, 60));
        table.ExportInterim();
        Assert.Equal([new FlowTableDelta(IpProtocol.Tcp, IpAddress128.Parse("10.0.0.1"), 40000, IpAddress128.Parse("10.0.0.2"), 80, 1, 60, 1, 60, true, 1 * Second, 2 * Second) { TcpFlags = Syn | Ack }], deltas);

        table.ExportInterim();
        Assert.Single(deltas); // no new traffic, no delta

        table.Observe(Tcp("10.0.0.1", 40000, "10.0.0.2", 80, Ack, 11 * Second, 1000));
        table.Observe(Tcp("10.0.0.1", 40000, "10.0.0.2", 80, Ack, 12 * Second, 1000));
        table.ExportInterim();
        Assert.Equal(2, deltas.Count);
        Assert.Equal((2L, 2000L, 0L, 0L, false), (deltas[1].Packets, deltas[1].Bytes, deltas[1].ReversePackets, deltas[1].ReverseBytes, deltas[1].StartsRecord));

        table.Observe(Tcp("10.0.0.2", 80, "10.0.0.1", 40000, Fin | Ack, 21 * Second, 52));
        table.Flush();
        Assert.Equal(3, deltas.Count);
        Assert.Equal((0L, 0L, 1L, 52L), (deltas[2].Packets, deltas[2].Bytes, deltas[2].ReversePackets, deltas[2].ReverseBytes));

        var record = Assert.Single(records);
        Assert.Equal((3L, 2060L, 2L, 112L), (record.Packets, record.Bytes, record.ReversePackets, record.ReverseBytes));
        Assert.Equal(1 * Second, record.StartMicros);
    }

    [Fact]
    public void DeltasSumToTheRecordsAndRecordsAreUnchangedOnRandomTraffic()
    {
        // Small cap (evictions), short active timeout (restarts), port reuse after RST: every way a record ends.
        var options = new FlowTableOptions { MaxFlows = 64, ActiveTimeout = TimeSpan.FromSeconds(7), UdpIdleTimeout = TimeSpan.FromSeconds(3) };
        var packets = RandomTraffic(new Random(42), 20_000);

        var plainRecords = new List<FlowRecord>();
        var plain = new FlowTable(options, plainRecords.Add);
        foreach (var p in packets) plain.Observe(in p);
        plain.Flush();

        var records = new List<FlowRecord>();
        var deltas = new List<(long Window, FlowTableDelta Delta)>();
        long window = 0;
        var table = new FlowTable(options, records.Add);
        table.DeltaSink = d => deltas.Add((window, d));
        long truthPackets = 0;
        var windowPackets = new Dictionary<long, long>();
        foreach (var p in packets)
        {
            long w = p.TimestampMicros / (2 * Second);
            if (w != window)
            {
                table.ExportInterim();
                window = w;
            }
            table.Observe(in p);
            truthPackets++;
            windowPackets[w] = windowPackets.GetValueOrDefault(w) + 1;
        }
        table.Flush();

        Assert.Equal(plainRecords.Count, records.Count);
        for (int i = 0; i < records.Count; i++)
            Assert.Equivalent(plainRecords[i], records[i], strict: true);

        Assert.Equal(truthPackets, deltas.Sum(d => d.Delta.Packets + d.Delta.ReversePackets));
        Assert.Equal(records.Sum(r => r.Bytes + r.ReverseBytes), deltas.Sum(d => d.Delta.Bytes + d.Delta.ReverseBytes));
        Assert.Equal(records.Count, deltas.Count(d => d.Delta.StartsRecord));
        // Each window's deltas hold exactly the packets observed in it.
        foreach (var (w, count) in windowPackets)
            Assert.Equal(count, deltas.Where(d => d.Window == w).Sum(d => d.Delta.Packets + d.Delta.ReversePackets));
    }

    [Fact]
    public void DetachingAndReattachingTheSinkNeverYieldsNegativeDeltas()
    {
        var deltas = new List<FlowTableDelta>();
        var table = new FlowTable(new FlowTableOptions { ActiveTimeout = TimeSpan.FromSeconds(5) }, _ => { }) { DeltaSink = deltas.Add };
        for (int i = 0; i < 4; i++) table.Observe(Udp("10.0.0.1", 5000, "10.0.0.2", 53, i * Second, 500));
        table.ExportInterim();
        table.DeltaSink = null;
        // Active timeout restarts the record at zero while no sink listens.
        table.Observe(Udp("10.0.0.1", 5000, "10.0.0.2", 53, 6 * Second, 100));
        table.DeltaSink = deltas.Add;
        table.ExportInterim();
        Assert.All(deltas, d => Assert.True(d.Packets >= 0 && d.Bytes >= 0));
        Assert.Equal((1L, 100L, true), (deltas[^1].Packets, deltas[^1].Bytes, deltas[^1].StartsRecord));
    }

    [Fact]
    public void ExportWithoutASinkIsAnError()
    {
        var table = new FlowTable(new FlowTableOptions(), _ => { });
        Assert.Throws<InvalidOperationException>(table.ExportInterim);
    }

    [Fact]
    public void UpdatesAndExportsAllocateNothingWithASinkAttached()
    {
        const int Flows = 1_000;
        long sum = 0;
        Action<FlowTableDelta> sink = d => sum += d.Packets;
        var table = new FlowTable(new FlowTableOptions(), _ => throw new InvalidOperationException("no flow should end")) { DeltaSink = sink };
        var packets = new PacketInfo[2 * Flows];
        for (int i = 0; i < Flows; i++)
        {
            var client = IpAddress128.FromIPv4(0x0A000000u + (uint)i);
            packets[2 * i] = Make(client, 40000, IpAddress128.FromIPv4(0x0A0A0A0A), 443, IpProtocol.Tcp, 0, 1500, flags: Ack | Psh);
            packets[2 * i + 1] = Make(IpAddress128.FromIPv4(0x0A0A0A0A), 443, client, 40000, IpProtocol.Tcp, 0, 52, flags: Ack);
        }
        int round = 0;
        for (; round < 3; round++) Feed(round);
        long allocated = AllocationMeter.Measure(() =>
        {
            for (int end = round + 5; round < end; round++)
            {
                Feed(round);
                table.ExportInterim();
            }
        });
        Assert.Equal(0, allocated);
        Assert.True(sum > 0);

        void Feed(int r)
        {
            for (int i = 0; i < packets.Length; i++)
            {
                packets[i].TimestampMicros = r * Second + i;
                table.Observe(in packets[i]);
            }
        }
    }

    internal static List<PacketInfo> RandomTraffic(Random random, int count)
    {
        var list = new List<PacketInfo>(count);
        long time = 1_700_000_000L * Second;
        for (int i = 0; i < count; i++)
        {
            time += random.Next(0, 5_000);
            int a = random.Next(1, 40), b = random.Next(1, 40);
            var src = IpAddress128.FromIPv4(0x0A000000u + (uint)a);
            var dst = IpAddress128.FromIPv4(0x0A000100u + (uint)b);
            ushort sport = (ushort)(40000 + random.Next(0, 4)), dport = (ushort)(80 + random.Next(0, 3));
            bool reverse = random.Next(3) == 0;
            int length = random.Next(40, 1500);
            switch (random.Next(4))
            {
                case 0:
                    list.Add(reverse ? Make(dst, 53, src, sport, IpProtocol.Udp, time, length) : Make(src, sport, dst, 53, IpProtocol.Udp, time, length));
                    break;
                case 1:
                    byte flags = random.Next(20) == 0 ? Rst : random.Next(10) == 0 ? Syn : Ack;
                    list.Add(reverse ? Make(dst, dport, src, sport, IpProtocol.Tcp, time, length, flags: flags) : Make(src, sport, dst, dport, IpProtocol.Tcp, time, length, flags: flags));
                    break;
                case 2:
                    list.Add(Make(src, 0, dst, 0, IpProtocol.Icmp, time, 84, icmpType: 8));
                    break;
                default:
                    list.Add(Make(src, sport, dst, dport, IpProtocol.Tcp, time, length, flags: Ack | Psh));
                    break;
            }
        }
        return list;
    }
}
