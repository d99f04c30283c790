using static Flowmesh.IntegrationTests.Synthetic.Frames;

namespace Flowmesh.IntegrationTests.Synthetic;

/// <summary>A deterministic capture of ordinary traffic (TCP, UDP, ICMP over IPv4 and IPv6) for damage tests.</summary>
public static class MixedTraffic
{
    public static PcapFile Create(int frames, int seed)
    {
        var random = new Random(seed);
        var pcap = new PcapFile();
        long micros = 1_700_000_000_000_000;
        for (int i = 0; i < frames; i++)
        {
            micros += random.Next(1, 20_000);
            int host = random.Next(1, 20);
            ushort port = (ushort)(40000 + random.Next(0, 50));
            byte[] frame = random.Next(5) switch
            {
                0 => Ethernet(EtherTypeIpv4, Ipv4($"10.20.0.{host}", "10.20.1.1", 6, Tcp(port, 443, 0x18, Bytes(random.Next(0, 1400))))),
                1 => Ethernet(EtherTypeIpv4, Ipv4("10.20.1.1", $"10.20.0.{host}", 6, Tcp(443, port, 0x10, Bytes(random.Next(0, 1400))))),
                2 => Ethernet(EtherTypeIpv4, Ipv4($"10.20.0.{host}", "10.20.1.53", 17, Udp(port, 53, Bytes(random.Next(10, 200))))),
                3 => Ethernet(EtherTypeIpv6, Ipv6($"fd00:20::{host:x}", "fd00:20::1", 17, Udp(port, 443, Bytes(random.Next(10, 1200))))),
                _ => Ethernet(EtherTypeIpv4, Ipv4($"10.20.0.{host}", "10.20.1.1", 1, Icmp(8, 0, Bytes(56)))),
            };
            // A sub-microsecond part that only nanosecond formats keep; flowmesh reports whole microseconds.
            pcap.AddNanos(frame, micros * 1000 + random.Next(0, 1000));
        }
        return pcap;
    }
}
