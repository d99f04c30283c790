using Flowmesh.Capture.HostContext;
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

        var truth = TsharkDnsResponses.Read(path);
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
}
