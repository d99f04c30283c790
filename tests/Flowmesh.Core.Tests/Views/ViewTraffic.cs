using Flowmesh.Core.Epochs;
using Flowmesh.Core.Packets;
using Flowmesh.Core.Tests.Epochs;

namespace Flowmesh.Core.Tests.Views;

/// <summary>
/// Seeded synthetic traffic for several origins (each origin captures only its own clients' packets, so the origins'
/// packet sets are disjoint and their union is the network's traffic), summarized by the real EpochSummarizer.
/// </summary>
internal static class ViewTraffic
{
    public const long Second = 1_000_000;
    /// <summary>Aligned to 10 s, so epochs start at T0.</summary>
    public const long T0 = 1_700_000_000L * Second;
    public static readonly TimeSpan Epoch = TimeSpan.FromSeconds(10);
    private static readonly int[] ServicePorts = [443, 80, 22, 8080];

    public static string Origin(int i) => $"node-{i}";

    /// <summary>
    /// Normal traffic of origin <paramref name="origin"/>: 8 clients 10.(o+1).0.c, each with 3 long TCP flows to the 8
    /// shared servers 10.100.0.s, a DNS query to 10.100.0.53 every few seconds (a new flow each), and HTTPS to one of 4
    /// fixed external servers. With <paramref name="manySmallFlows"/>, also 80 one-exchange UDP flows per 10 s to random
    /// external addresses, so every top list overflows its 64 slots and the bounds are exercised, and some IPv6 traffic.
    /// </summary>
    public static List<SyntheticPacket> Normal(Random random, int origin, long start, int seconds, bool manySmallFlows = false)
    {
        var packets = new List<SyntheticPacket>();
        long end = start + seconds * Second;
        for (int c = 1; c <= 8; c++)
        {
            string client = $"10.{origin + 1}.0.{c}";
            for (int j = 0; j < 3; j++)
            {
                string server = $"10.100.0.{(c + j * 3) % 8 + 1}";
                int port = ServicePorts[(c + j) % ServicePorts.Length], clientPort = 40000 + c * 10 + j;
                long t = start + random.Next(0, 900_000);
                packets.Add(new(t, client, clientPort, server, port, IpProtocol.Tcp, 60, 0x02));
                for (t += random.Next(100_000, 600_000); t < end; t += random.Next(200_000, 1_200_000))
                {
                    bool up = random.Next(3) == 0;
                    packets.Add(up ? new(t, client, clientPort, server, port, IpProtocol.Tcp, random.Next(52, 600), 0x18)
                        : new(t, server, port, client, clientPort, IpProtocol.Tcp, random.Next(400, 1500), 0x10));
                }
            }
            string external = $"93.184.216.{c % 4 + 1}";
            for (long t = start + random.Next(0, 3_000_000); t < end; t += random.Next(3_000_000, 9_000_000))
            {
                int clientPort = 50000 + random.Next(10_000);
                packets.Add(new(t, client, clientPort, "10.100.0.53", 53, IpProtocol.Udp, random.Next(60, 90), 0));
                packets.Add(new(t + 800, "10.100.0.53", 53, client, clientPort, IpProtocol.Udp, random.Next(90, 300), 0));
                packets.Add(new(t + 5_000, client, clientPort + 1, external, 443, IpProtocol.Udp, random.Next(100, 1200), 0));
                packets.Add(new(t + 25_000, external, 443, client, clientPort + 1, IpProtocol.Udp, random.Next(100, 1200), 0));
            }
        }
        if (manySmallFlows)
        {
            // IPv6 too: two hosts of the origin's /64 query a resolver in another /64 and reach random external /64s.
            for (int h = 1; h <= 2; h++)
            {
                string host = $"2001:db8:{origin + 1:x}::{h:x}";
                for (long t = start + random.Next(0, 2_000_000); t < end; t += random.Next(1_000_000, 4_000_000))
                {
                    int clientPort = 30000 + random.Next(20_000);
                    packets.Add(new(t, host, clientPort, "2001:db8:100::53", 53, IpProtocol.Udp, random.Next(80, 120), 0));
                    packets.Add(new(t + 700, "2001:db8:100::53", 53, host, clientPort, IpProtocol.Udp, random.Next(120, 400), 0));
                    packets.Add(new(t + 2_000, host, clientPort + 1, $"2001:db8:{random.Next(0x200, 0x208):x}::{random.Next(1, 50):x}", 443, IpProtocol.Udp, random.Next(100, 1300), 0));
                }
            }
            for (long epoch = start; epoch < end; epoch += 10 * Second)
            {
                for (int i = 0; i < 80; i++)
                {
                    long t = epoch + random.Next(0, 9_000_000);
                    if (t >= end) continue;
                    string client = $"10.{origin + 1}.0.{random.Next(1, 9)}";
                    string target = $"198.51.{random.Next(0, 4)}.{random.Next(1, 255)}";
                    int clientPort = 20000 + random.Next(20_000), port = ServicePorts[random.Next(ServicePorts.Length)];
                    packets.Add(new(t, client, clientPort, target, port, IpProtocol.Udp, random.Next(60, 400), 0));
                    if (random.Next(2) == 0) packets.Add(new(t + 1_000, target, port, client, clientPort, IpProtocol.Udp, random.Next(60, 900), 0));
                }
            }
        }
        packets.RemoveAll(p => p.Micros >= end); // replies just after the end would fall outside the window the truth is about
        return packets;
    }

    public static List<EpochRecord> Summarize(int origin, List<SyntheticPacket> packets) => Summarize(Origin(origin), packets);

    public static List<EpochRecord> Summarize(string origin, List<SyntheticPacket> packets)
    {
        packets.Sort((x, y) => x.Micros.CompareTo(y.Micros));
        return EpochTestTraffic.Summarize(packets, Epoch, origin);
    }

    public static IpAddress128 Ip(string text) => IpAddress128.Parse(text);
}
