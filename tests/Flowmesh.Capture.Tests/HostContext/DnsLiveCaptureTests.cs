using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;
using Flowmesh.Capture.Ebpf;
using Flowmesh.Capture.HostContext;
using Flowmesh.Capture.Tests.Ebpf;
using Flowmesh.Core.Dns;
using Flowmesh.Core.Flows;
using Flowmesh.Core.HostContext;
using Flowmesh.Core.Packets;

namespace Flowmesh.Capture.Tests.HostContext;

/// <summary>
/// The DNS host-context source on live traffic, as the agent composes it (HostContextSources.StartLive): dig and getent
/// on this PC ask dnsmasq in a namespace (A, AAAA, TXT, a CNAME over TCP, an NXDOMAIN, an upstream failure, IPv6
/// transport). Every transaction must match tshark's reading of tcpdump's capture of the same interface (name, type,
/// rcode, dns.time) and dig's own status line; pings to the answered addresses carry the name. Once with libpcap,
/// once with eBPF capture.
/// </summary>
[Collection(EbpfNetworkCollection.Name)]
public sealed partial class DnsLiveCaptureTests
{
    [Fact]
    public void Libpcap_capture_sees_what_dig_and_tshark_see() => Scenario(CaptureBackend.Pcap);

    [Fact]
    public void Ebpf_capture_sees_what_dig_and_tshark_see() => Scenario(CaptureBackend.Ebpf);

    private sealed class Recorder : IDnsObservationListener
    {
        public ConcurrentQueue<DnsObservation> Seen { get; } = new();
        public void Observe(DnsObservation observation) => Seen.Enqueue(observation);
    }

    private static void Scenario(CaptureBackend backend)
    {
        TestEnvironment.RootOrSkip();
        foreach (string tool in new[] { "dnsmasq", "dig", "tcpdump", "tshark", "getent", "unshare", "ping" }) TestEnvironment.ToolOrSkip(tool);
        if (backend == CaptureBackend.Ebpf) EbpfPrerequisites.SkipUnlessAvailable();

        using var lab = DnsResolverLab.Start();
        string pcap = Path.Combine(Path.GetTempPath(), $"fmdns-{backend}-{Environment.ProcessId}.pcap");
        var recorder = new Recorder();
        var records = new ConcurrentQueue<FlowRecord>();
        var log = new StringWriter();
        var request = new LiveCaptureRequest([DnsResolverLab.RootInterface], null, 512, 4 * 1024 * 1024, false, backend);
        using ICaptureSource source = CaptureSources.OpenLive(request, log);
        Assert.Equal(backend == CaptureBackend.Ebpf, source is EbpfCaptureSource);
        using var session = HostContextSources.StartLive(HostContextOptions.None with { Dns = true }, request, recorder, log, source);
        Assert.NotNull(session.Dns);
        // eBPF: the TC program's ring buffer, not the libpcap fallback.
        if (backend == CaptureBackend.Ebpf) Assert.Contains(session.Notes, n => n.Contains("ring buffer", StringComparison.Ordinal));
        var meter = new FlowMeter(new FlowTableOptions(), record => records.Enqueue(record.WithContext(session.Resolver.Resolve(FlowContextKey.From(record)))))
        {
            DnsMonitor = session.Dns!.Monitor,
        };
        using var tcpdump = TcpdumpRecording.Start(DnsResolverLab.RootInterface, pcap, snapLength: 0);
        using var stop = new CancellationTokenSource();
        var capture = new Thread(() => source.Run(meter, stop.Token)) { Name = "dns-test-capture" };
        capture.Start();
        var digs = new List<(string Name, string Type, string Output)>();
        try
        {
            Thread.Sleep(1000); // the port-53 handle (eBPF) opens in StartLive; let both settle

            string v4 = "@" + DnsResolverLab.ResolverV4;
            digs.AddRange(
            [
                (DnsResolverLab.AliasName, "A", DnsResolverLab.Dig("+tcp", v4, DnsResolverLab.AliasName, "A")),
                (DnsResolverLab.TextName, "TXT", DnsResolverLab.Dig(v4, DnsResolverLab.TextName, "TXT")),
                ("missing.flowmesh.test", "A", DnsResolverLab.Dig(v4, "missing.flowmesh.test", "A")),
                ("upstream.invalid", "A", DnsResolverLab.Dig(v4, "upstream.invalid", "A")),
                (DnsResolverLab.HostName, "AAAA", DnsResolverLab.Dig("@" + DnsResolverLab.ResolverV6, DnsResolverLab.HostName, "AAAA")),
                (DnsResolverLab.HostName, "A", DnsResolverLab.Dig(v4, DnsResolverLab.HostName, "A")),
            ]);
            // Nothing serves DNS on the host address: the kernel refuses with ICMP, and the query stays unanswered.
            Assert.NotEqual(0, Command.Run("dig", "+time=1", "+tries=1", "@" + DnsResolverLab.HostV4, "unanswered.flowmesh.test", "A").ExitCode);
            string getent = lab.Getent(DnsResolverLab.HostName);
            Assert.Contains(DnsResolverLab.HostV4, getent, StringComparison.Ordinal);
            Command.Check("ping", "-n", "-c", "2", "-i", "0.2", DnsResolverLab.HostV4);
            Command.Check("ping", "-n", "-6", "-c", "2", "-i", "0.2", DnsResolverLab.HostV6);
            Thread.Sleep(500);
        }
        finally
        {
            // Whatever failed above, the capture loop returns before the source is disposed.
            stop.Cancel();
            capture.Join(TimeSpan.FromSeconds(30));
        }
        Assert.False(capture.IsAlive, "capture loop did not stop");
        tcpdump.Stop();
        meter.Flush();
        var monitor = session.Dns.Monitor;
        string counters = $"decoded {monitor.MessagesDecoded}, malformed {monitor.Malformed}, cut {monitor.MessagesCutByCapture}, unmatched {monitor.UnmatchedResponses}, timeouts {monitor.Timeouts}; log: {log}";

        // Truth 1: tshark's reading of tcpdump's capture, one row per response.
        var truth = TsharkDnsResponses.Read(pcap).Where(r => r.TimeMicros is not null).ToList();
        File.Delete(pcap);
        var seen = recorder.Seen.Where(o => o.ResponseCode is not null).ToList();
        Assert.True(truth.Count >= digs.Count + 2, $"tshark saw {truth.Count} responses; {counters}");
        Assert.Equal(truth.Count, seen.Count);
        foreach (var row in truth)
        {
            var match = seen.SingleOrDefault(o => o.Transport == row.Transport && o.TransactionId == row.Id && o.Client.Equals(row.Client));
            Assert.True(match is not null, $"no observation for {row}; {counters}");
            Assert.Equal(row.Name, match.Name);
            Assert.Equal(row.Type, match.Type);
            Assert.Equal(row.ResponseCode, match.ResponseCode);
            Assert.InRange(match.LatencyMicros!.Value, row.TimeMicros!.Value - 500, row.TimeMicros.Value + 500);
        }

        // Truth 2: dig's own reading of each answer.
        foreach (var (name, type, output) in digs)
        {
            string status = DigStatus().Match(output).Groups[1].Value;
            ushort qtype = type switch { "A" => 1, "AAAA" => 28, "TXT" => 16, _ => 0 };
            var match = seen.Last(o => o.Name == name && o.Type == qtype);
            Assert.Equal(status, RcodeText(match.ResponseCode!.Value));
        }
        Assert.Contains(seen, o => o.Name == DnsResolverLab.AliasName && o.Transport == 6 && o.Addresses.Contains(IpAddress128.Parse(DnsResolverLab.HostV4)));
        Assert.Contains(seen, o => o.Name == "missing.flowmesh.test" && o.ResponseCode == 3);
        Assert.Contains(seen, o => o.Name == "upstream.invalid" && o.ResponseCode == 5);
        // The unanswered query is reported when the source stops (or after its timeout): no rcode, no latency.
        session.Dispose();
        var unanswered = Assert.Single(recorder.Seen, o => o.ResponseCode is null);
        Assert.Equal("unanswered.flowmesh.test", unanswered.Name);
        Assert.Null(unanswered.LatencyMicros);

        // Flows to the answered addresses carry the name this PC asked for last.
        foreach (string host in new[] { DnsResolverLab.HostV4, DnsResolverLab.HostV6 })
        {
            var pings = records.Where(r => r.DestinationAddress.Equals(IpAddress128.Parse(host)) || r.SourceAddress.Equals(IpAddress128.Parse(host))).ToList();
            Assert.NotEmpty(pings);
            Assert.All(pings, r => Assert.Equal(DnsResolverLab.HostName, r.Context?.DnsName));
        }
        Assert.Equal(0, monitor.Malformed);
        Assert.Equal(0, monitor.UnmatchedResponses);
        Assert.Equal(0, session.Dns.KernelDrops);
    }

    private static string RcodeText(int rcode) => rcode switch
    {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        _ => rcode.ToString(CultureInfo.InvariantCulture),
    };

    [GeneratedRegex(@"status: ([A-Z]+)")]
    private static partial Regex DigStatus();
}
