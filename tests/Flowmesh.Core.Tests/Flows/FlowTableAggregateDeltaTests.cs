using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;
using static Flowmesh.Core.Tests.Flows.TestPacket;

namespace Flowmesh.Core.Tests.Flows;

/// <summary>
/// Interim deltas on the aggregate (eBPF drain) path. A record that ends inside a drain (port reuse, active
/// timeout) must hand out its unexported remainder and clear its mark before the next record restarts its
/// counters at zero; otherwise the next delta is the new record's counters minus the old record's mark, which is
/// negative under connection churn (issue 11: the agent aborted on "Flow deltas never have negative counters").
/// </summary>
public sealed class FlowTableAggregateDeltaTests
{
    private const long Second = 1_000_000;
    private static readonly long Base = 1_700_000_000L * Second;

    [Fact]
    public void PortReuseInsideADrainAfterAnExportGivesExactNonNegativeDeltas()
    {
        var deltas = new List<FlowTableDelta>();
        var table = new FlowTable(new FlowTableOptions(), static _ => { }) { DeltaSink = deltas.Add };
        var window = new WindowAggregator();

        // Connection 1 on 10.0.0.2:40000 -> 10.0.0.1:7946: handshake and data, exported at an epoch cut.
        long t = Base;
        window.Add(Tcp("10.0.0.2", 40000, "10.0.0.1", 7946, Syn, t, 60));
        window.Add(Tcp("10.0.0.1", 7946, "10.0.0.2", 40000, Syn | Ack, t + 10, 60));
        for (int i = 0; i < 8; i++) window.Add(Tcp("10.0.0.2", 40000, "10.0.0.1", 7946, Ack | Psh, t + 20 + i, 500));
        table.ObserveAggregates(window.Drain());
        table.ExportInterim();
        // The agent closes it (FIN both ways) and the peer reconnects on the same port within the next drain.
        window.Add(Tcp("10.0.0.1", 7946, "10.0.0.2", 40000, Fin | Ack, t + Second, 52));
        window.Add(Tcp("10.0.0.2", 40000, "10.0.0.1", 7946, Fin | Ack, t + Second + 10, 52));
        table.ObserveAggregates(window.Drain());
        window.Add(Tcp("10.0.0.2", 40000, "10.0.0.1", 7946, Syn, t + 2 * Second, 60));
        window.Add(Tcp("10.0.0.1", 7946, "10.0.0.2", 40000, Syn | Ack, t + 2 * Second + 10, 60));
        table.ObserveAggregates(window.Drain());
        table.ExportInterim();
        table.Flush();

        Assert.All(deltas, d => Assert.True(d.Packets >= 0 && d.Bytes >= 0 && d.ReversePackets >= 0 && d.ReverseBytes >= 0, d.ToString()));
        Assert.Equal(14L, deltas.Sum(d => d.Packets + d.ReversePackets));
        Assert.Equal(60 + 60 + 8 * 500 + 52 + 52 + 60 + 60L, deltas.Sum(d => d.Bytes + d.ReverseBytes));
        Assert.Equal(2, deltas.Count(d => d.StartsRecord));
    }

    [Fact]
    public void ActiveTimeoutInsideADrainAfterAnExportGivesExactNonNegativeDeltas()
    {
        var deltas = new List<FlowTableDelta>();
        var table = new FlowTable(new FlowTableOptions { ActiveTimeout = TimeSpan.FromSeconds(10) }, static _ => { }) { DeltaSink = deltas.Add };
        var window = new WindowAggregator();
        for (int i = 0; i < 5; i++) window.Add(Udp("10.0.0.2", 5000, "10.0.0.1", 53, Base + i * 1000, 100));
        table.ObserveAggregates(window.Drain());
        table.ExportInterim();
        window.Add(Udp("10.0.0.2", 5000, "10.0.0.1", 53, Base + 11 * Second, 100));
        table.ObserveAggregates(window.Drain()); // crosses the active timeout: a fresh record with 1 packet
        table.ExportInterim();

        Assert.Equal([5L, 1L], deltas.Select(d => d.Packets));
        Assert.Equal([true, true], deltas.Select(d => d.StartsRecord));
    }

    /// <summary>
    /// Hostile churn as the agent's loop sees it: reused 5-tuples (SYN, data, FIN or RST, SYN again), SYN floods,
    /// idle flows, a tiny table that evicts, drains of random length and epoch cuts at random drains. Every delta is
    /// non-negative, and the deltas exported at each cut hold exactly the packets and bytes drained since the
    /// previous cut (computed from the packets, not from the table).
    /// </summary>
    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public void ChurnedDeltasAreNonNegativeAndEachCutHoldsExactlyItsTraffic(int seed)
    {
        var random = new Random(seed);
        List<PacketInfo> traffic = Churn(random);
        var table = new FlowTable(new FlowTableOptions
        {
            MaxFlows = 16,
            ActiveTimeout = TimeSpan.FromSeconds(4),
            TcpIdleTimeout = TimeSpan.FromSeconds(6),
            TcpClosedTimeout = TimeSpan.FromMilliseconds(300),
            UdpIdleTimeout = TimeSpan.FromSeconds(2),
        }, static _ => { });
        long cutPackets = 0, cutBytes = 0, negative = 0;
        table.DeltaSink = d =>
        {
            if (d.Packets < 0 || d.Bytes < 0 || d.ReversePackets < 0 || d.ReverseBytes < 0) negative++;
            cutPackets += d.Packets + d.ReversePackets;
            cutBytes += d.Bytes + d.ReverseBytes;
        };
        var window = new WindowAggregator();
        long drainAt = Base, truthPackets = 0, truthBytes = 0;
        int cuts = 0;
        foreach (PacketInfo packet in traffic)
        {
            while (packet.TimestampMicros >= drainAt)
            {
                table.ObserveAggregates(window.Drain());
                table.Expire(drainAt);
                if (random.Next(3) == 0)
                {
                    table.ExportInterim();
                    Assert.Equal((truthPackets, truthBytes), (cutPackets, cutBytes));
                    truthPackets = truthBytes = cutPackets = cutBytes = 0;
                    cuts++;
                }
                drainAt += random.NextInt64(Second / 20, 2 * Second);
            }
            window.Add(in packet);
            truthPackets++;
            truthBytes += packet.IpLength;
        }
        table.ObserveAggregates(window.Drain());
        table.Flush();

        Assert.Equal(0, negative);
        Assert.Equal((truthPackets, truthBytes), (cutPackets, cutBytes));
        Assert.True(cuts > 20, $"only {cuts} cuts");
        Assert.True(table.Evictions > 0, "the small table should have evicted");
    }

    private static List<PacketInfo> Churn(Random random)
    {
        var packets = new List<PacketInfo>();
        const string agent = "10.96.0.1";
        for (int c = 0; c < 600; c++)
        {
            // Few client ports, so 5-tuples are reused again and again.
            string peer = $"10.96.0.{2 + random.Next(3)}";
            ushort port = (ushort)(40000 + random.Next(12));
            long t = Base + random.NextInt64(0, 120 * Second);
            packets.Add(Tcp(peer, port, agent, 7946, Syn, t, 60));
            if (random.Next(4) == 0) continue; // unanswered SYN (flood, or the slots are full)
            packets.Add(Tcp(agent, 7946, peer, port, Syn | Ack, t += random.Next(1, 2000), 60));
            int data = random.Next(0, 6);
            for (int i = 0; i < data; i++)
            {
                t += random.Next(1, 300_000);
                int length = random.Next(52, 1500);
                packets.Add(random.Next(2) == 0 ? Tcp(peer, port, agent, 7946, Ack | Psh, t, length) : Tcp(agent, 7946, peer, port, Ack | Psh, t, length));
            }
            switch (random.Next(3))
            {
                case 0: // the agent's deadline: RST
                    packets.Add(Tcp(agent, 7946, peer, port, Rst | Ack, t += random.Next(1, 500_000), 40));
                    break;
                case 1: // orderly close
                    packets.Add(Tcp(agent, 7946, peer, port, Fin | Ack, t += random.Next(1, 500_000), 52));
                    packets.Add(Tcp(peer, port, agent, 7946, Fin | Ack, t += random.Next(1, 2000), 52));
                    packets.Add(Tcp(agent, 7946, peer, port, Ack, t += random.Next(1, 2000), 52));
                    break;
                default: // left open: idle timeout or eviction
                    break;
            }
        }
        for (int u = 0; u < 200; u++)
            packets.Add(Udp($"10.96.0.{2 + random.Next(3)}", (ushort)(5000 + random.Next(4)), agent, 7946, Base + random.NextInt64(0, 120 * Second), random.Next(28, 1400)));
        return packets.OrderBy(p => p.TimestampMicros).ToList();
    }
}
