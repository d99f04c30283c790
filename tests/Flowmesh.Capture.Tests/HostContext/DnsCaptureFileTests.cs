using System.Globalization;
using Flowmesh.Capture.HostContext;
using Flowmesh.Capture.Tests.Ebpf;
using Flowmesh.Core.Flows;
using Flowmesh.Core.HostContext;
using Flowmesh.Core.Packets;

namespace Flowmesh.Capture.Tests.HostContext;

/// <summary>
/// The DNS source on public captures (../shared/pcaps, skipped when absent), as `flowmesh flows FILE` runs it: every
/// port-53 transaction tshark pairs (dns.time) is observed with the same name, type, rcode and latency, and every flow
/// to an address its client had just resolved carries one of the names the client resolved for it (Zeek-like).
/// </summary>
public sealed class DnsCaptureFileTests
{
    private sealed class Recorder : IDnsObservationListener
    {
        public List<DnsObservation> Seen { get; } = [];
        public void Observe(DnsObservation observation) => Seen.Add(observation);
    }

    [Theory]
    [InlineData("chrissanders/dns_lab.pcapng")]
    [InlineData("chrissanders/dns_tcp.pcapng")]
    [InlineData("chrissanders/dns_query_nonexistent.pcapng")]
    [InlineData("chrissanders/http_espn.pcapng")]
    [InlineData("nfstream/android.pcap")]
    [InlineData("nfstream/alexa-app.pcapng")]
    [InlineData("nfstream/iphone.pcap")]
    [InlineData("nfstream/malformed_dns.pcap")]
    [InlineData("nfstream/dns_fragmented.pcap")]
    public void Transactions_and_names_match_tshark(string file)
    {
        string path = Path.Combine(TestEnvironment.SharedPcapsOrSkip(), file);
        if (!File.Exists(path)) Assert.Skip($"{path} is absent");
        TestEnvironment.ToolOrSkip("tshark");

        var recorder = new Recorder();
        var records = new List<FlowRecord>();
        using var session = HostContextSources.ForCaptureFile(HostContextOptions.None with { Dns = true }, recorder);
        var meter = new FlowMeter(new FlowTableOptions(), r => records.Add(r.WithContext(session.Resolver.Resolve(FlowContextKey.From(r)))))
        {
            DnsMonitor = session.Dns!.Monitor,
        };
        using (var source = CaptureSources.OpenFile(path)) source.Run(meter, CancellationToken.None);
        meter.Flush();
        var monitor = session.Dns.Monitor;

        var truth = Tshark(path);
        var answered = recorder.Seen.Where(o => o.ResponseCode is not null).ToList();
        foreach (var row in truth.Where(r => r.TimeMicros is not null))
        {
            // tshark dates a reassembled message by its last fragment or segment; the monitor reads the first fragment
            // of an IP-fragmented answer (and says so in a counter), so for those only the earlier time is checked.
            var match = answered.FirstOrDefault(o => o.Transport == row.Transport && o.TransactionId == row.Id && o.Client.Equals(row.Client)
                && (row.Fragmented
                    ? o.QueryMicros + o.LatencyMicros!.Value <= row.AtMicros && o.QueryMicros + o.LatencyMicros.Value >= row.AtMicros - 1_000_000
                    : Math.Abs(o.QueryMicros + o.LatencyMicros!.Value - row.AtMicros) <= 1));
            Assert.True(match is not null, $"{file}: no observation for {row}");
            Assert.Equal(row.Name, match.Name, ignoreCase: true);
            Assert.Equal(row.Type, match.Type);
            Assert.Equal(row.ResponseCode, match.ResponseCode);
            if (!row.Fragmented) Assert.InRange(match.LatencyMicros!.Value, row.TimeMicros!.Value - 1, row.TimeMicros.Value + 1);
        }

        // Names on flows: what each client resolved to each address (tshark's answers), per orientation.
        var resolved = truth.Where(r => r.TimeMicros is not null && r.ResponseCode == 0)
            .SelectMany(r => r.Addresses.Select(a => (r.Client, Address: a, r.Name, r.AtMicros, r.Fragmented)))
            .ToLookup(x => (x.Client, x.Address));
        int named = 0;
        foreach (FlowRecord record in records)
        {
            var forward = resolved[(record.SourceAddress, record.DestinationAddress)];
            var backward = resolved[(record.DestinationAddress, record.SourceAddress)];
            var names = forward.Concat(backward).Select(x => x.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
            string? name = record.Context?.DnsName;
            if (name is not null)
            {
                Assert.Contains(name, names);
                named++;
            }
            // A flow that outlived an answer it followed by less than the minimum name lifetime (5 min) must be named
            // (unless the answer came in IP fragments: only the first is read, and the address may be in a later one).
            bool mustBeNamed = forward.Concat(backward).Any(x => !x.Fragmented && x.AtMicros <= record.EndMicros && record.EndMicros - x.AtMicros <= 300_000_000);
            if (mustBeNamed) Assert.True(name is not null, $"{file}: {record.SourceAddress}:{record.SourcePort} -> {record.DestinationAddress}:{record.DestinationPort} has no name; expected one of {string.Join(", ", names)}");
        }
        Assert.True(monitor.MessagesDecoded + monitor.Malformed + monitor.MessagesCutByCapture > 0, $"{file}: no DNS read");
    }

    private sealed record TsharkDns(byte Transport, IpAddress128 Client, ushort Id, string Name, ushort Type, int ResponseCode, long AtMicros, long? TimeMicros,
        IReadOnlyList<IpAddress128> Addresses, bool Fragmented);

    /// <summary>tshark's responses on port 53 (UDP and TCP), with the addresses of their A and AAAA records.</summary>
    private static List<TsharkDns> Tshark(string path)
    {
        string output = Command.Check("tshark", "-r", path, "-n", "-Y", "dns.flags.response == 1 && (udp.port == 53 || tcp.port == 53) && !icmp && !icmpv6",
            "-T", "fields", "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=,",
            "-e", "ip.proto", "-e", "ipv6.nxt", "-e", "ip.dst", "-e", "ipv6.dst", "-e", "dns.id", "-e", "dns.qry.name", "-e", "dns.qry.type",
            "-e", "dns.flags.rcode", "-e", "frame.time_epoch", "-e", "dns.time", "-e", "dns.a", "-e", "dns.aaaa", "-e", "ip.fragment.count", "-e", "ipv6.fragment.count", "-e", "frame.number");
        var answers = AnswerAddresses(path);
        var rows = new List<TsharkDns>();
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
            rows.Add(new TsharkDns(transport, client, Convert.ToUInt16(f[4], 16), f[5], ushort.Parse(f[6], CultureInfo.InvariantCulture),
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
