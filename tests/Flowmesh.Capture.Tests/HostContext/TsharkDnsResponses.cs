using System.Globalization;
using Flowmesh.Capture.Tests.Ebpf;
using Flowmesh.Core.Packets;

namespace Flowmesh.Capture.Tests.HostContext;

/// <summary>
/// tshark's reading of the DNS responses on port 53 of a capture: the independent truth the DNS source is compared
/// with (client, transaction id, question, rcode, dns.time, and the answer section's addresses).
/// </summary>
internal static class TsharkDnsResponses
{
    public sealed record Response(byte Transport, IpAddress128 Client, ushort Id, string Name, ushort Type, int ResponseCode, long AtMicros, long? TimeMicros,
        IReadOnlyList<IpAddress128> Addresses, bool Fragmented);

    /// <summary>tshark's responses on port 53 (UDP and TCP), with the addresses of their A and AAAA records.</summary>
    public static List<Response> Read(string path)
    {
        string output = Command.Check("tshark", "-r", path, "-n", "-Y", "dns.flags.response == 1 && (udp.port == 53 || tcp.port == 53) && !icmp && !icmpv6",
            "-T", "fields", "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=,",
            "-e", "ip.proto", "-e", "ipv6.nxt", "-e", "ip.dst", "-e", "ipv6.dst", "-e", "dns.id", "-e", "dns.qry.name", "-e", "dns.qry.type",
            "-e", "dns.flags.rcode", "-e", "frame.time_epoch", "-e", "dns.time", "-e", "dns.a", "-e", "dns.aaaa", "-e", "ip.fragment.count", "-e", "ipv6.fragment.count", "-e", "frame.number");
        var answers = AnswerAddresses(path);
        var rows = new List<Response>();
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] f = line.Split('|');
            // One message per row: TCP segments carrying several messages, or tunnelled DNS, are left out of the comparison.
            if (f[4].Contains(',', StringComparison.Ordinal) || f[5].Contains(',', StringComparison.Ordinal) || f[2].Contains(',', StringComparison.Ordinal)) continue;
            if (f[5].Length == 0 || f[4].Length == 0) continue;
            // IPv6 lists every next header (44 for a fragment header): the transport is the UDP or TCP among them.
            string[] protocols = (f[0].Length > 0 ? f[0] : f[1]).Split(',');
            byte transport = protocols.Contains("6") ? (byte)6 : (byte)17;
            var client = IpAddress128.Parse(f[2].Length > 0 ? f[2] : f[3]);
            long at = (long)Math.Round(decimal.Parse(f[8], CultureInfo.InvariantCulture) * 1_000_000m);
            long? time = f[9].Length > 0 ? (long)Math.Round(double.Parse(f[9], CultureInfo.InvariantCulture) * 1_000_000) : null;
            // dns.a and dns.aaaa list every section's records (glue too); the answer section's come from tshark's JSON.
            var addresses = answers.GetValueOrDefault(long.Parse(f[14], CultureInfo.InvariantCulture)) ?? [];
            rows.Add(new Response(transport, client, Convert.ToUInt16(f[4], 16), f[5], ushort.Parse(f[6], CultureInfo.InvariantCulture),
                int.Parse(f[7], CultureInfo.InvariantCulture), at, time, addresses, f[12].Length > 0 || f[13].Length > 0));
        }
        return rows;
    }

    /// <summary>The A and AAAA addresses of each response's answer section, by frame number.</summary>
    private static Dictionary<long, List<IpAddress128>> AnswerAddresses(string path)
    {
        string json = Command.Check("tshark", "-r", path, "-n", "-Y", "dns.flags.response == 1 && (udp.port == 53 || tcp.port == 53)", "-T", "json", "-J", "frame dns");
        var result = new Dictionary<long, List<IpAddress128>>();
        using var document = System.Text.Json.JsonDocument.Parse(json);
        foreach (var packet in document.RootElement.EnumerateArray())
        {
            var layers = packet.GetProperty("_source").GetProperty("layers");
            long frame = long.Parse(layers.GetProperty("frame").GetProperty("frame.number").GetString()!, CultureInfo.InvariantCulture);
            var list = new List<IpAddress128>();
            if (layers.TryGetProperty("dns", out var dns) && dns.ValueKind == System.Text.Json.JsonValueKind.Object && dns.TryGetProperty("Answers", out var section))
            {
                foreach (var record in section.EnumerateObject())
                {
                    if (record.Value.ValueKind != System.Text.Json.JsonValueKind.Object) continue;
                    if (record.Value.TryGetProperty("dns.a", out var a)) list.Add(IpAddress128.Parse(a.GetString()!));
                    if (record.Value.TryGetProperty("dns.aaaa", out var aaaa)) list.Add(IpAddress128.Parse(aaaa.GetString()!));
                }
            }
            result[frame] = list;
        }
        return result;
    }
}
