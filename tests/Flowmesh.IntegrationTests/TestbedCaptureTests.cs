using Flowmesh.IntegrationTests.Comparison;
using Flowmesh.IntegrationTests.Infrastructure;

namespace Flowmesh.IntegrationTests;

/// <summary>
/// End to end on real traffic: testbed/record.sh makes curl, iperf3, nmap, ping and spoofed hping3
/// traffic between two fresh namespaces and captures it with tcpdump; flowmesh must agree with
/// tshark on every directed flow. The capture is first checked for what the generators must have
/// produced, so a broken generator cannot pass by producing (almost) nothing.
/// </summary>
public sealed class TestbedCaptureTests
{
    // Must match testbed/lib.sh.
    private const string ClientV4 = "10.213.77.1";
    private const string ServerV4 = "10.213.77.2";
    private const string ClientV6 = "fd42:f10e:3e5a::1";
    private const string ServerV6 = "fd42:f10e:3e5a::2";
    private const ushort HttpPort = 8080;
    private const ushort IperfPort = 5201;
    private const int CannotRunHere = 77;

    private static readonly TimeSpan RecordTimeout = TimeSpan.FromSeconds(180);
    private static readonly TimeSpan CompareTimeout = TimeSpan.FromSeconds(180);

    [Fact]
    public void Recorded_real_traffic_matches_tshark_exactly()
    {
        if (!Environment.IsPrivilegedProcess) Assert.Skip("needs root: network namespaces and raw sockets");
        string tshark = ExternalTool.RequireOrSkip("tshark");
        string bash = ExternalTool.RequireOrSkip("bash");
        using var dir = new TemporaryDirectory();
        string capture = dir.File("testbed.pcap");

        ProcessResult recording;
        try
        {
            recording = ChildProcess.Run(bash, [Path.Combine(RepositoryLayout.TestbedDirectory, "record.sh"), capture], RecordTimeout);
        }
        finally
        {
            // record.sh tears down on its own exit; this covers it being killed on timeout.
            ChildProcess.Run(bash, [Path.Combine(RepositoryLayout.TestbedDirectory, "netns-down.sh")], TimeSpan.FromSeconds(60));
        }
        if (recording.ExitCode == CannotRunHere) Assert.Skip($"testbed cannot run here: {recording.StandardError.Trim()}");
        Assert.True(recording.ExitCode == 0, $"record.sh failed with exit {recording.ExitCode}:\n{recording.StandardError}");

        var comparison = TsharkComparison.Run(tshark, capture, CompareTimeout);
        AssertGeneratorsProduced(comparison.Reference.Flows);
        comparison.AssertExactMatch();
    }

    private static void AssertGeneratorsProduced(DirectedFlowMap truth)
    {
        var keys = truth.Totals.Keys.ToList();
        string v4Client = DirectedFlowKey.Canonical(ClientV4), v4Server = DirectedFlowKey.Canonical(ServerV4);
        string v6Client = DirectedFlowKey.Canonical(ClientV6), v6Server = DirectedFlowKey.Canonical(ServerV6);

        int scannedPorts = keys.Where(k => k.Protocol == 6 && k.Source == v4Client && k.Destination == v4Server)
            .Select(k => k.DestinationPort).Distinct().Count();
        Assert.True(scannedPorts >= 100, $"nmap: only {scannedPorts} TCP ports of the peer were contacted");

        int spoofedSources = keys.Where(k => k.Protocol == 6 && k.Destination == v4Server && k.DestinationPort == 80 && k.Source != v4Client)
            .Select(k => k.Source).Distinct().Count();
        Assert.True(spoofedSources >= 300, $"hping3: only {spoofedSources} spoofed sources reached port 80");

        foreach (var (client, server) in new[] { (v4Client, v4Server), (v6Client, v6Server) })
        {
            long http = Sum(keys, truth, k => k.Protocol == 6 && k.Source == server && k.SourcePort == HttpPort && k.Destination == client).Bytes;
            Assert.True(http > 40_000, $"curl: only {http} bytes of HTTP responses from {server}");
            long tcpIperf = Sum(keys, truth, k => k.Protocol == 6 && k.Source == client && k.Destination == server && k.DestinationPort == IperfPort).Bytes;
            Assert.True(tcpIperf > 1_000_000, $"iperf3 TCP: only {tcpIperf} bytes to {server}");
            long udpIperf = Sum(keys, truth, k => k.Protocol == 17 && k.Source == client && k.Destination == server && k.DestinationPort == IperfPort).Packets;
            Assert.True(udpIperf >= 100, $"iperf3 UDP: only {udpIperf} datagrams to {server}");
        }

        byte[] icmp = [1, 58];
        foreach (var (protocol, client, server) in new[] { (icmp[0], v4Client, v4Server), (icmp[1], v6Client, v6Server) })
        {
            long requests = Sum(keys, truth, k => k.Protocol == protocol && k.Source == client && k.Destination == server).Packets;
            long replies = Sum(keys, truth, k => k.Protocol == protocol && k.Source == server && k.Destination == client).Packets;
            Assert.True(requests >= 4 && replies >= 4, $"ping (protocol {protocol}): {requests} requests, {replies} replies");
        }
    }

    private static DirectedTotals Sum(List<DirectedFlowKey> keys, DirectedFlowMap map, Func<DirectedFlowKey, bool> select) =>
        keys.Where(select).Aggregate(default(DirectedTotals), (sum, k) => sum.Add(map[k].Packets, map[k].Bytes));
}
