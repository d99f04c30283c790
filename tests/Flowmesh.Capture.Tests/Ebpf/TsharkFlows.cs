using System.Globalization;
using System.Net;

namespace Flowmesh.Capture.Tests.Ebpf;

/// <summary>
/// Per-5-tuple packets and bytes of a pcap file as tshark dissects it: the truth the kernel counters must match.
/// Bytes are ip.len for IPv4 and ipv6.plen + 40 for IPv6. Reassembly is off so every fragment counts as
/// itself; non-first fragments carry no ports, the same rule the flow program applies.
/// </summary>
internal static class TsharkFlows
{
    private static readonly string[] Fields =
    [
        "ip.src", "ip.dst", "ip.proto", "ip.len",
        "ipv6.src", "ipv6.dst", "ipv6.plen", "ipv6.nxt", "ipv6.hopopts.nxt", "ipv6.fraghdr.nxt",
        "icmp.type", "icmpv6.type",
        "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport", "sctp.srcport", "sctp.dstport",
    ];

    public static Dictionary<ObservedFlow, DirectionalCounts> Read(string pcapPath)
    {
        var arguments = new List<string> { "-n", "-r", pcapPath, "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE", "-T", "fields", "-E", "occurrence=f", "-E", "separator=/t" };
        foreach (string field in Fields) arguments.AddRange(["-e", field]);
        string output = Command.Run(TimeSpan.FromMinutes(2), "tshark", [.. arguments]).EnsureSuccess("tshark").Output;

        var flows = new Dictionary<ObservedFlow, DirectionalCounts>();
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] f = line.Split('\t');
            string Get(string name) => f[Array.IndexOf(Fields, name)];
            bool v4 = Get("ip.src").Length > 0;
            if (!v4 && Get("ipv6.src").Length == 0) continue; // not IP: not a flow

            IPAddress source = IPAddress.Parse(v4 ? Get("ip.src") : Get("ipv6.src"));
            IPAddress destination = IPAddress.Parse(v4 ? Get("ip.dst") : Get("ipv6.dst"));
            long bytes = v4 ? Number(Get("ip.len")) : Number(Get("ipv6.plen")) + 40;
            (byte protocol, string portField) =
                v4 && Get("icmp.type").Length > 0 ? ((byte)1, "") :
                !v4 && Get("icmpv6.type").Length > 0 ? ((byte)58, "") :
                Get("tcp.srcport").Length > 0 ? ((byte)6, "tcp") :
                Get("udp.srcport").Length > 0 ? ((byte)17, "udp") :
                Get("sctp.srcport").Length > 0 ? ((byte)132, "sctp") :
                v4 ? ((byte)Number(Get("ip.proto")), "") :
                Get("ipv6.fraghdr.nxt").Length > 0 ? ((byte)Number(Get("ipv6.fraghdr.nxt")), "") :
                Get("ipv6.hopopts.nxt").Length > 0 ? ((byte)Number(Get("ipv6.hopopts.nxt")), "") :
                ((byte)Number(Get("ipv6.nxt")), "");
            ushort sourcePort = portField.Length == 0 ? (ushort)0 : (ushort)Number(Get(portField + ".srcport"));
            ushort destinationPort = portField.Length == 0 ? (ushort)0 : (ushort)Number(Get(portField + ".dstport"));

            ObservedFlow flow = ObservedFlow.FromDirected(protocol, source, sourcePort, destination, destinationPort, out bool sourceIsLow);
            DirectionalCounts counts = flows.GetValueOrDefault(flow);
            if (sourceIsLow)
            {
                counts.LowToHighPackets++;
                counts.LowToHighBytes += bytes;
            }
            else
            {
                counts.HighToLowPackets++;
                counts.HighToLowBytes += bytes;
            }
            flows[flow] = counts;
        }
        return flows;
    }

    private static long Number(string text) => long.Parse(text.Split(',')[0], CultureInfo.InvariantCulture);
}
