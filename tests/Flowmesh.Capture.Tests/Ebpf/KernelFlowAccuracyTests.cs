using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Flowmesh.Capture.Ebpf;

namespace Flowmesh.Capture.Tests.Ebpf;

/// <summary>
/// Real traffic through a veth pair, counted at once by the flow program (TC on the root side) and by
/// tcpdump on the same interface; tshark's reading of the capture is the truth for every 5-tuple.
/// </summary>
[Collection(EbpfNetworkCollection.Name)]
public sealed class KernelFlowAccuracyTests
{
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void Every_flow_has_the_packets_and_bytes_tshark_reads_and_udp_segments_match_iperf3()
    {
        EbpfPrerequisites.SkipUnlessAvailable("tcpdump", "tshark", "iperf3", "hping3", "ping", "ss");
        string pcap = Path.Combine(Path.GetTempPath(), $"fmebpf-accuracy-{Environment.ProcessId}.pcap");
        using var pair = VethNamespace.Create("fmebpf-ns", "fmebpf0", "fmebpf1", "10.254.217.0", "fd8e:b9f0:217:1::");
        var servers = new List<Process>();
        try
        {
            servers.Add(StartIperfServer(pair.RootV4, 5301));
            servers.Add(StartIperfServer(pair.RootV6!, 5302));

            KernelFlowEntry[] drained;
            KernelCounters counters;
            long udpV4Datagrams, udpV6Datagrams;
            using var recording = TcpdumpRecording.Start(pair.RootInterface, pcap);
            using (var collector = EbpfFlowCollector.Open(new EbpfCaptureOptions { Interfaces = [pair.RootInterface], ObjectPath = EbpfPrerequisites.ObjectPath }))
            {
                Assert.Equal([pair.RootInterface], collector.Interfaces.Select(i => i.Name));
                pair.Exec(ToolTimeout, "ping", "-n", "-c", "5", "-i", "0.2", pair.RootV4).EnsureSuccess("ping");
                pair.Exec(ToolTimeout, "ping", "-n", "-6", "-c", "5", "-i", "0.2", pair.RootV6!).EnsureSuccess("ping -6");
                // 3000-byte pings are fragmented: every fragment is counted, all in the ICMP flow.
                pair.Exec(ToolTimeout, "ping", "-n", "-c", "2", "-s", "3000", pair.RootV4).EnsureSuccess("ping -s 3000");
                pair.Exec(ToolTimeout, "ping", "-n", "-6", "-c", "2", "-s", "3000", pair.RootV6!).EnsureSuccess("ping -6 -s 3000");
                Iperf(pair, pair.RootV4, 5301, udp: false);
                udpV4Datagrams = Iperf(pair, pair.RootV4, 5301, udp: true);
                Iperf(pair, pair.RootV6!, 5302, udp: false);
                udpV6Datagrams = Iperf(pair, pair.RootV6!, 5302, udp: true);
                // Spoofed SYN burst: one new flow per packet; strict rp_filter drops them unanswered.
                pair.Exec(ToolTimeout, "hping3", "-q", "-n", "-S", "--rand-source", "-p", "5399", "-c", "300", "-i", "u2000", pair.RootV4);
                // Fragmented UDP: the first fragment has ports, the others land in the port-0 flow.
                pair.Exec(ToolTimeout, "hping3", "-q", "-n", "--udp", "-p", "5398", "-d", "3000", "-c", "3", "-i", "u100000", pair.RootV4);
                Thread.Sleep(300);
                drained = collector.Drain().ToArray();
                counters = collector.ReadCounters();
            }
            recording.Stop();

            Dictionary<ObservedFlow, DirectionalCounts> expected = TsharkFlows.Read(pcap);
            Dictionary<ObservedFlow, DirectionalCounts> actual = ToObserved(drained);
            Assert.True(expected.Count > 300, $"tshark saw only {expected.Count} flows: the traffic generators did not run as intended");

            if (recording.KernelDrops == 0)
            {
                string differences = Differences(expected, actual);
                Assert.True(differences.Length == 0, "kernel flow counters differ from tshark:\n" + differences);
            }
            else
            {
                // tcpdump lost packets the kernel program still counted: allow exactly that much.
                long missing = actual.Values.Sum(c => c.Packets) - expected.Values.Sum(c => c.Packets);
                Assert.InRange(missing, 0, recording.KernelDrops);
            }
            Assert.Equal(0, counters.MapFullMisses);
            Assert.Equal(0, counters.UpdateFailures);
            Assert.Equal(0, counters.BadIpHeader);

            Assert.Contains(actual.Keys, f => f.Protocol == 17 && f.LowPort == 0 && f.HighPort == 0); // non-first UDP fragments
            Assert.Contains(actual.Keys, f => f.Protocol == 58);

            AssertUdpSegments(drained, pair.PeerV4, 5301, udpV4Datagrams);
            AssertUdpSegments(drained, pair.PeerV6!, 5302, udpV6Datagrams);
            foreach (KernelFlowEntry entry in drained)
            {
                Assert.True(entry.Value.LowToHigh.Segments >= entry.Value.LowToHigh.Packets);
                Assert.True(entry.Value.HighToLow.Segments >= entry.Value.HighToLow.Packets);
            }
        }
        finally
        {
            foreach (Process server in servers)
            {
                if (!server.HasExited) server.Kill();
                server.WaitForExit();
                server.Dispose();
            }
            File.Delete(pcap);
        }
    }

    /// <summary>
    /// iperf3 counts the datagrams it sent; on the wire the client also sends its 4-byte "connect" datagram on
    /// the same socket before the test, so the flow's client-to-server segments are that count plus one.
    /// GSO does not apply (iperf3 sends each datagram with its own write), so segments equal packets here.
    /// </summary>
    private static void AssertUdpSegments(KernelFlowEntry[] drained, string client, ushort serverPort, long datagrams)
    {
        IPAddress clientAddress = IPAddress.Parse(client);
        KernelFlowEntry flow = Assert.Single(drained, e => e.Key.Protocol == 17
            && ((e.Key.LowPort == serverPort && e.Key.HighAddress.ToIPAddress().Equals(clientAddress))
                || (e.Key.HighPort == serverPort && e.Key.LowAddress.ToIPAddress().Equals(clientAddress))));
        KernelDirectionCounters fromClient = flow.Key.LowAddress.ToIPAddress().Equals(clientAddress) ? flow.Value.LowToHigh : flow.Value.HighToLow;
        Assert.Equal(datagrams + 1, fromClient.Segments);
    }

    private static Process StartIperfServer(string address, int port)
    {
        Process server = Command.Start("iperf3", "-s", "-B", address, "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        for (int i = 0; i < 50; i++)
        {
            if (Command.Run("ss", "-Hltn", $"sport = :{port}").Output.Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal))
                return server;
            Thread.Sleep(100);
        }
        server.Kill();
        throw new InvalidOperationException($"iperf3 server on {address} port {port} did not start");
    }

    /// <summary>Runs one 1-second iperf3 test at a modest rate; returns the UDP datagrams iperf3 reports sending.</summary>
    private static long Iperf(VethNamespace pair, string server, int port, bool udp)
    {
        string[] arguments = udp
            ? ["-c", server, "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-t", "1", "-u", "-b", "20M", "-l", "1200", "-J"]
            : ["-c", server, "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-t", "1", "-b", "200M", "-J"];
        string json = pair.Exec(ToolTimeout, "iperf3", arguments).EnsureSuccess("iperf3 " + string.Join(' ', arguments)).Output;
        if (!udp) return 0;
        using JsonDocument document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("end").GetProperty("sum").GetProperty("packets").GetInt64();
    }

    private static Dictionary<ObservedFlow, DirectionalCounts> ToObserved(KernelFlowEntry[] drained)
    {
        var flows = new Dictionary<ObservedFlow, DirectionalCounts>();
        foreach (KernelFlowEntry entry in drained)
        {
            ObservedFlow flow = ObservedFlow.FromDirected(entry.Key.Protocol, entry.Key.LowAddress.ToIPAddress(), entry.Key.LowPort,
                entry.Key.HighAddress.ToIPAddress(), entry.Key.HighPort, out bool lowIsLow);
            Assert.True(lowIsLow, $"the kernel key {entry.Key} is not normalized (low endpoint sorts after high)");
            Assert.False(flows.ContainsKey(flow), $"flow {flow} drained twice");
            flows[flow] = new DirectionalCounts(entry.Value.LowToHigh.Packets, entry.Value.LowToHigh.Bytes, entry.Value.HighToLow.Packets, entry.Value.HighToLow.Bytes);
        }
        return flows;
    }

    private static string Differences(Dictionary<ObservedFlow, DirectionalCounts> expected, Dictionary<ObservedFlow, DirectionalCounts> actual)
    {
        var text = new StringBuilder();
        int shown = 0;
        foreach (ObservedFlow flow in expected.Keys.Union(actual.Keys))
        {
            bool inExpected = expected.TryGetValue(flow, out DirectionalCounts e);
            bool inActual = actual.TryGetValue(flow, out DirectionalCounts a);
            if (inExpected && inActual && e == a) continue;
            if (shown++ < 25)
                text.AppendLine($"{flow}: tshark {(inExpected ? e.ToString() : "none")} | kernel {(inActual ? a.ToString() : "none")}");
        }
        if (shown > 25) text.AppendLine($"... {shown - 25} more");
        return text.ToString();
    }
}
