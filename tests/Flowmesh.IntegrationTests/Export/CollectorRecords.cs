using System.Globalization;
using Flowmesh.IntegrationTests.Comparison;

namespace Flowmesh.IntegrationTests.Export;

/// <summary>
/// What a collector stored, reduced to the comparison's shape (<see cref="DirectedFlowMap"/>): nfdump's CSV (a biflow's
/// in-counters on the forward key, its out-counters on the reverse key) and pmacct's print plugin CSV. ICMP ports are
/// dropped: collectors put the ICMP type and code there, the reference keys ICMP flows with ports 0.
/// </summary>
internal static class CollectorRecords
{
    /// <summary>nfdump's protocol names (it prints numbers for the ones it has no name for).</summary>
    private static readonly Dictionary<string, byte> ProtocolNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["ICMP"] = 1, ["IGMP"] = 2, ["IPIP"] = 4, ["TCP"] = 6, ["UDP"] = 17, ["IPv6"] = 41, ["RSVP"] = 46, ["GRE"] = 47,
        ["ESP"] = 50, ["AH"] = 51, ["ICMP6"] = 58, ["OSPF"] = 89, ["PIM"] = 103, ["VRRP"] = 112, ["L2TP"] = 115, ["SCTP"] = 132,
    };

    /// <summary>Rows of `nfdump -o csv`: ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,...; the summary after the first empty line.</summary>
    public static DirectedFlowMap FromNfdumpCsv(string csv)
    {
        var map = new DirectedFlowMap();
        string[] lines = csv.Split('\n');
        string[] header = lines[0].Trim().Split(',');
        int Column(string name) => Array.IndexOf(header, name) is int i and >= 0 ? i : throw new FormatException($"nfdump csv has no column {name}: {lines[0]}");
        int sa = Column("sa"), da = Column("da"), sp = Column("sp"), dp = Column("dp"), pr = Column("pr");
        int ipkt = Column("ipkt"), ibyt = Column("ibyt"), opkt = Column("opkt"), obyt = Column("obyt");
        foreach (string raw in lines.Skip(1))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith("Summary", StringComparison.Ordinal)) break;
            string[] f = line.Split(',');
            var key = Key(Protocol(f[pr]), f[sa], f[sp], f[da], f[dp]);
            map.Add(key, Long(f[ipkt]), Long(f[ibyt]));
            map.Add(key.Reversed, Long(f[opkt]), Long(f[obyt]));
        }
        return map;
    }

    /// <summary>Rows of pmacct's print plugin: SRC_IP,DST_IP,SRC_PORT,DST_PORT,PROTOCOL,PACKETS,BYTES (a header before each purge).</summary>
    public static DirectedFlowMap FromPmacctCsv(string csv)
    {
        var map = new DirectedFlowMap();
        foreach (string raw in csv.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith("SRC_IP", StringComparison.Ordinal)) continue;
            string[] f = line.Split(',');
            map.Add(Key(Protocol(f[4]), f[0], f[2], f[1], f[3]), Long(f[5]), Long(f[6]));
        }
        return map;
    }

    private static DirectedFlowKey Key(byte protocol, string source, string sourcePort, string destination, string destinationPort)
    {
        bool icmp = protocol is 1 or 58;
        return DirectedFlowKey.Create(protocol, source.Trim(), icmp ? (ushort)0 : Port(sourcePort), destination.Trim(), icmp ? (ushort)0 : Port(destinationPort));
    }

    private static byte Protocol(string text)
    {
        text = text.Trim();
        if (byte.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out byte number)) return number;
        if (ProtocolNames.TryGetValue(text, out number)) return number;
        // pmacct spells protocols in lower case, and names some by /etc/protocols ("ipv6-icmp").
        if (text.Equals("ipv6-icmp", StringComparison.OrdinalIgnoreCase)) return 58;
        throw new FormatException($"unknown protocol name '{text}' in the collector's output");
    }

    private static ushort Port(string text) =>
        ushort.Parse(text.Trim().Split('.')[0], NumberStyles.None, CultureInfo.InvariantCulture);

    private static long Long(string text) => long.Parse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture);
}
