using Flowmesh.IntegrationTests.Synthetic;
using static Flowmesh.IntegrationTests.Synthetic.Frames;

namespace Flowmesh.IntegrationTests.Export;

/// <summary>
/// A deterministic capture with every case the IPFIX truth test names: TCP and UDP over IPv4 and IPv6, ICMP echo and
/// ICMPv6 echo, IPv4 and IPv6 datagrams cut into fragments (the non-first ones carry no ports), so the test never
/// depends on the shared captures alone.
/// </summary>
internal static class FragmentedTraffic
{
    public static PcapFile Create(int rounds, int seed)
    {
        var random = new Random(seed);
        var pcap = new PcapFile();
        long micros = 1_700_000_000_000_000;
        void Add(byte[] frame)
        {
            micros += random.Next(1, 5_000);
            pcap.Add(frame, micros);
        }
        for (int i = 0; i < rounds; i++)
        {
            int host = random.Next(1, 30);
            ushort port = (ushort)(40000 + random.Next(0, 200));
            switch (random.Next(7))
            {
                case 0:
                    Add(Ethernet(EtherTypeIpv4, Ipv4($"10.30.0.{host}", "10.30.1.1", 6, Tcp(port, 443, 0x18, Bytes(random.Next(0, 1400))))));
                    Add(Ethernet(EtherTypeIpv4, Ipv4("10.30.1.1", $"10.30.0.{host}", 6, Tcp(443, port, 0x10, Bytes(random.Next(0, 1400))))));
                    break;
                case 1:
                    Add(Ethernet(EtherTypeIpv6, Ipv6($"fd00:30::{host:x}", "fd00:30::1", 6, Tcp(port, 80, 0x18, Bytes(random.Next(0, 1200))))));
                    break;
                case 2:
                    Add(Ethernet(EtherTypeIpv4, Ipv4($"10.30.0.{host}", "10.30.1.53", 17, Udp(port, 53, Bytes(random.Next(10, 200))))));
                    Add(Ethernet(EtherTypeIpv4, Ipv4("10.30.1.53", $"10.30.0.{host}", 17, Udp(53, port, Bytes(random.Next(10, 400))))));
                    break;
                case 3:
                    Add(Ethernet(EtherTypeIpv4, Ipv4($"10.30.0.{host}", "10.30.1.1", 1, Icmp(8, 0, Bytes(56)))));
                    Add(Ethernet(EtherTypeIpv4, Ipv4("10.30.1.1", $"10.30.0.{host}", 1, Icmp(0, 0, Bytes(56)))));
                    break;
                case 4:
                    Add(Ethernet(EtherTypeIpv6, Ipv6($"fd00:30::{host:x}", "fd00:30::1", 58, Icmp(128, 0, Bytes(56)))));
                    break;
                case 5:
                {
                    // A 2,000-byte DNS answer in three IPv4 fragments: 1480 bytes at offset 0 (with the UDP header), then two more.
                    byte[] datagram = Udp(53, port, Bytes(1992));
                    Add(Ethernet(EtherTypeIpv4, Ipv4("10.30.1.53", $"10.30.0.{host}", 17, datagram[..1480], 0, moreFragments: true)));
                    Add(Ethernet(EtherTypeIpv4, Ipv4("10.30.1.53", $"10.30.0.{host}", 17, datagram[1480..1960], 185, moreFragments: true)));
                    Add(Ethernet(EtherTypeIpv4, Ipv4("10.30.1.53", $"10.30.0.{host}", 17, datagram[1960..], 245)));
                    break;
                }
                default:
                {
                    byte[] datagram = Udp(port, 4500, Bytes(1600));
                    Add(Ethernet(EtherTypeIpv6, Ipv6($"fd00:30::{host:x}", "fd00:30::2", 44, Ipv6Fragment(17, 0, true, datagram[..1000]))));
                    Add(Ethernet(EtherTypeIpv6, Ipv6($"fd00:30::{host:x}", "fd00:30::2", 44, Ipv6Fragment(17, 125, false, datagram[1000..]))));
                    break;
                }
            }
        }
        return pcap;
    }
}
