using System.Text.Json;
using Flowmesh.IntegrationTests.Infrastructure;
using static Flowmesh.IntegrationTests.Cluster.ClusterClock;

namespace Flowmesh.IntegrationTests.Cluster;

/// <summary>
/// Issue 12's hand-over on real agents: a PC whose agent starts while it is in the middle of conversations with two
/// monitored PCs, and whose address is the lowest (so it owns those conversations from then on). Its peers learn of it
/// through membership before their next seal, and its first, partial epoch is stood in for by their "left to peer"
/// sections: every node's total equals the bridge capture (tcpdump, read with tshark) within the window-edge bound.
/// Before, the peers counted the newcomer's conversations until its first record reached them, and it counted them too.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class NewcomerCountOnceTests : IDisposable
{
    private const long EdgeMicros = 300_000;
    private readonly SmallCluster _agents = new(3, firstNodes: [2, 3]);
    private readonly List<IDisposable> _processes = [];
    private readonly string _work = Directory.CreateTempSubdirectory("fmc-newcomer-").FullName;

    public void Dispose()
    {
        foreach (var p in _processes) p.Dispose();
        _agents.Dispose();
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void A_newcomer_with_the_lowest_address_is_counted_once_from_its_first_packet()
    {
        var cluster = _agents.Agents;
        foreach (string tool in new[] { "tcpdump", "tshark", "iperf3", "ping" }) ExternalTool.RequireOrSkip(tool);
        WaitUntilN2AndN3KnowEachOther(cluster);

        var server = NamespacedProcess.Start(ClusterNetwork.Namespace(1), Path.Combine(_work, "iperf3-server.log"), "iperf3", ["--server", "--port", "5201"]);
        _processes.Add(server);
        Poll.Until("n1 listens on 5201", () => ClusterNetwork.RunIn(1, TimeSpan.FromSeconds(5), "ss", "-Hltn", "sport = :5201").StandardOutput.Contains("LISTEN", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10), () => "");

        long from = AlignUp(Now()) + EpochMicros;
        var capture = BridgeCapture.Start(_work, 3);
        _processes.Add(capture);
        SleepUntil(from + 200_000);
        // n2 sends to n1 and n3 pings n1 and n2, across n1's start: before it, n1 is nobody's PC (n2 and n3 count
        // everything); after it, n1 owns both conversations (the lowest address).
        var traffic = new List<NamespacedProcess>
        {
            NamespacedProcess.Start(ClusterNetwork.Namespace(2), Path.Combine(_work, "iperf3-client.log"), "iperf3", ["--client", ClusterNetwork.Address(1), "--port", "5201", "--time", "14", "--bitrate", "4M"]),
            NamespacedProcess.Start(ClusterNetwork.Namespace(3), Path.Combine(_work, "ping-n1.log"), "ping", ["-c", "140", "-i", "0.1", "-s", "700", "-q", ClusterNetwork.Address(1)]),
            NamespacedProcess.Start(ClusterNetwork.Namespace(3), Path.Combine(_work, "ping-n2.log"), "ping", ["-c", "140", "-i", "0.1", "-s", "300", "-q", ClusterNetwork.Address(2)]),
        };
        _processes.AddRange(traffic);
        Thread.Sleep(TimeSpan.FromSeconds(3));
        long launchedAt = Now();
        cluster.Launch(1);
        cluster.WaitForApi(1);
        foreach (var p in traffic) Assert.True(p.WaitForExit(TimeSpan.FromSeconds(40)), $"{p.Description} did not finish:\n{p.OutputTail()}");
        long to = AlignUp(Now()) + EpochMicros;
        SleepUntil(to + 500_000);
        capture.Stop();
        WaitForEveryRecordUpTo(cluster, to, TimeSpan.FromSeconds(40));

        var truth = capture.Packets(from, to);
        long edge = EdgeBytes(capture, from, to);
        // n1's own traffic with nobody's hosts before its capture began is seen by nobody: there is none here (the
        // namespaces talk only to each other), so the bridge is the whole truth.
        long shared = truth.Where(p => p.Source == ClusterNetwork.Address(1) || p.Destination == ClusterNetwork.Address(1)).Sum(p => p.Length);
        TestContext.Current.TestOutputHelper?.WriteLine($"window {(to - from) / 1e6:0} s, n1 launched {(launchedAt - from) / 1e6:0.0} s in; bridge {truth.Sum(p => p.Length)} bytes ({shared} to or from n1), edge bound {edge}");
        foreach (int node in cluster.AllNodes)
        {
            using var answer = JsonDocument.Parse(AgentCluster.Api(node).Get($"/api/v1/traffic?from={from}&to={to}"));
            double bytes = answer.RootElement.GetProperty("totals").GetProperty("bytes").GetProperty("value").GetDouble();
            var coverage = answer.RootElement.GetProperty("coverage");
            TestContext.Current.TestOutputHelper?.WriteLine($"n{node}: {bytes} bytes; left to peer: {(coverage.TryGetProperty("leftToPeer", out var ltp) ? ltp.ToString() : "none")}");
            Assert.InRange(bytes, truth.Sum(p => p.Length) - edge, truth.Sum(p => p.Length) + edge);
        }
    }

    /// <summary>
    /// The case no lead can cover: n3 is cut off from all gossip (nftables drops port 7946 in its namespace) from before
    /// n1 starts until n1 has owned its address for two epochs, while n3 keeps pinging n1. n3 counts those pings (it
    /// knows no agent for n1's address) and so does n1; once the cut heals, n3 learns of n1, its next records report
    /// what it counted twice, and every node's totals equal the bridge capture again.
    /// </summary>
    [Fact]
    public void A_peer_that_learns_of_a_newcomer_epochs_late_reports_what_it_counted_twice()
    {
        var cluster = _agents.Agents;
        foreach (string tool in new[] { "tcpdump", "tshark", "ping", "nft" }) ExternalTool.RequireOrSkip(tool);
        WaitUntilN2AndN3KnowEachOther(cluster);

        long from = AlignUp(Now()) + EpochMicros;
        var capture = BridgeCapture.Start(_work, 3);
        _processes.Add(capture);
        SleepUntil(from + 200_000);
        string rules = Path.Combine(_work, "cut-n3.nft");
        File.WriteAllText(rules, $$"""
            table inet fmcut {
              chain input { type filter hook input priority 0; udp dport {{AgentCluster.GossipPort}} drop; tcp dport {{AgentCluster.GossipPort}} drop; }
              chain output { type filter hook output priority 0; udp dport {{AgentCluster.GossipPort}} drop; tcp dport {{AgentCluster.GossipPort}} drop; }
            }
            """);
        Assert.Equal(0, ClusterNetwork.RunIn(3, TimeSpan.FromSeconds(10), "nft", "-f", rules).ExitCode);
        long launchedAt = 0, healedAt = 0;
        try
        {
            var ping = NamespacedProcess.Start(ClusterNetwork.Namespace(3), Path.Combine(_work, "ping-n1-late.log"), "ping", ["-c", "200", "-i", "0.1", "-s", "600", "-q", ClusterNetwork.Address(1)]);
            _processes.Add(ping);
            cluster.Launch(1);
            cluster.WaitForApi(1);
            launchedAt = Now();
            // n1 owns its address from one epoch after the end of the epoch it started in; keep n3 cut off for two
            // epochs beyond that, so n3 seals at least one epoch it should have left to n1.
            SleepUntil(AlignUp(launchedAt) + 4 * EpochMicros);
        }
        finally
        {
            ClusterNetwork.RunIn(3, TimeSpan.FromSeconds(10), "nft", "delete", "table", "inet", "fmcut");
            healedAt = Now();
        }
        Assert.True(_processes.OfType<NamespacedProcess>().Last().WaitForExit(TimeSpan.FromSeconds(40)), "ping did not finish");
        long to = AlignUp(Now()) + EpochMicros;
        SleepUntil(to + 500_000);
        capture.Stop();
        WaitForEveryRecordUpTo(cluster, to, TimeSpan.FromSeconds(60));
        // Holding n1's records does not mean n3's report is out yet: n3 reports at its first seal after it learned of
        // n1 (and n1 at its first seal after it learned of n3, for its lead epochs), and that record must reach every
        // node. Wait for both to know each other, then for every node's record sealed after that.
        Poll.Until("n1 and n3 know each other's addresses", () => KnowsPeer(1, 3) && KnowsPeer(3, 1), TimeSpan.FromSeconds(60), () => cluster.Diagnostics());
        long learnedBy = AlignUp(Now()) + EpochMicros;
        TestContext.Current.TestOutputHelper?.WriteLine($"n1 launched {(launchedAt - from) / 1e6:0.0} s into the window, n3 cut off until {(healedAt - from) / 1e6:0.0} s; n1 and n3 knew each other by {(Now() - from) / 1e6:0.0} s");
        WaitForEveryRecordUpTo(cluster, learnedBy, TimeSpan.FromSeconds(30));

        var truth = capture.Packets(from, to);
        long edge = EdgeBytes(capture, from, to);
        // What each node reported and holds, for a failure to show which end missed its report.
        foreach (int node in cluster.AllNodes)
        {
            string metrics = AgentCluster.Api(node).Get("/metrics");
            TestContext.Current.TestOutputHelper?.WriteLine($"n{node} metrics: {string.Join("; ", metrics.Split('\n').Where(l => l.StartsWith("flowmesh_counted_twice", StringComparison.Ordinal)))}");
            using var st = JsonDocument.Parse(AgentCluster.Api(node).Status());
            TestContext.Current.TestOutputHelper?.WriteLine($"n{node} ownership: {st.RootElement.GetProperty("ownership")}");
            TestContext.Current.TestOutputHelper?.WriteLine($"n{node} records: {string.Join("; ", AgentCluster.Api(node).Records().Keys.Where(k => k.StartMicros >= from - 2 * EpochMicros).GroupBy(k => k.Origin).OrderBy(g => g.Key).Select(g => $"{g.Key} {string.Join(',', g.OrderBy(k => k.StartMicros).Select(k => $"{(k.StartMicros - from) / 1e6:0.###}" + (k.LengthMicros != EpochMicros ? $"/{k.LengthMicros / 1e6:0.###}" : "")))}"))}");
        }
        foreach (int node in cluster.AllNodes)
        {
            using var answer = JsonDocument.Parse(AgentCluster.Api(node).Get($"/api/v1/traffic?from={from}&to={to}"));
            double bytes = answer.RootElement.GetProperty("totals").GetProperty("bytes").GetProperty("value").GetDouble();
            var coverage = answer.RootElement.GetProperty("coverage");
            bool reported = coverage.TryGetProperty("countedTwice", out var twice) && twice.ValueKind == JsonValueKind.Object;
            TestContext.Current.TestOutputHelper?.WriteLine($"n{node}: {bytes} bytes of {truth.Sum(p => p.Length)} (edge {edge}); counted twice: {(reported ? twice.ToString() : "none")}");
            Assert.True(reported, $"n{node}'s view took nothing out: n3 did not count n1's pings before learning of it");
            Assert.InRange(bytes, truth.Sum(p => p.Length) - edge, truth.Sum(p => p.Length) + edge);
        }
    }

    private static void WaitUntilN2AndN3KnowEachOther(AgentCluster cluster) =>
        Poll.Until("n2 and n3 know each other's addresses", () => KnowsPeer(2, 3) && KnowsPeer(3, 2), TimeSpan.FromSeconds(60), () => cluster.Diagnostics());

    /// <summary>True when <paramref name="node"/>'s ownership map names an agent for <paramref name="peer"/>'s address.</summary>
    private static bool KnowsPeer(int node, int peer)
    {
        using var status = JsonDocument.Parse(AgentCluster.Api(node).Status());
        return status.RootElement.GetProperty("ownership").GetProperty("peers").TryGetProperty(AgentCluster.Name(peer), out _);
    }

    private static void WaitForEveryRecordUpTo(AgentCluster cluster, long to, TimeSpan timeout) =>
        Poll.Until("every node holds every node's records up to the window's end", () => cluster.AllNodes.All(n =>
        {
            var records = AgentCluster.Api(n).Records();
            return cluster.AllNodes.All(o => records.Keys.Any(k => k.Origin == AgentCluster.Name(o) && k.StartMicros == to - EpochMicros));
        }), timeout, () => cluster.Diagnostics());

    /// <summary>Bytes within the edge bound of the window's ends: each end may put them in the epoch on either side.</summary>
    private static long EdgeBytes(BridgeCapture capture, long from, long to) =>
        capture.Packets(from - EdgeMicros, from + EdgeMicros).Concat(capture.Packets(to - EdgeMicros, to + EdgeMicros)).Sum(p => p.Length);
}
