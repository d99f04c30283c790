using System.Text.Json;
using Flowmesh.IntegrationTests.Infrastructure;
using static Flowmesh.IntegrationTests.Cluster.ClusterClock;

namespace Flowmesh.IntegrationTests.Cluster;

/// <summary>
/// Issue 16's lying PC on real agents (docs/cross-check.md): n1, the lowest address (so it owns its conversations with
/// n2 and n3), runs with the test-only hook FLOWMESH_TEST_OMIT_PORTS=1-1000 and leaves its nmap SYN scan of n2 and n3
/// out of its own records. n2 and n3 saw the scan and left it to n1 in their "left to peer" sections; their accounts
/// of their traffic with n1 disagree with n1's. Every node's view flags n1 as hiding traffic, counts the targets'
/// testimony, and its scan alert still names 10.77.0.1. Before, n1's records were taken at their word and the scan
/// was nowhere in the view.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class LyingPcTests : IDisposable
{
    private readonly SmallCluster _agents = new(3, firstNodes: [2, 3]);

    public void Dispose() => _agents.Dispose();

    [Fact]
    public void A_pc_that_omits_its_scan_from_its_records_is_flagged_by_its_peers_and_the_scan_alert_still_names_it()
    {
        var cluster = _agents.Agents;
        ExternalTool.RequireOrSkip("nmap");
        cluster.Launch(1, ["FLOWMESH_TEST_OMIT_PORTS=1-1000"]);
        cluster.WaitForApi(1);
        Poll.Until("every node knows the others' addresses", () => cluster.AllNodes.All(n =>
        {
            using var status = JsonDocument.Parse(AgentCluster.Api(n).Status());
            var peers = status.RootElement.GetProperty("ownership").GetProperty("peers");
            return cluster.AllNodes.Where(o => o != n).All(o => peers.TryGetProperty(AgentCluster.Name(o), out _));
        }), TimeSpan.FromSeconds(60), () => cluster.Diagnostics());
        Assert.Contains("TEST ONLY", File.ReadAllText(cluster.LogFile(1)), StringComparison.Ordinal);

        // Past n1's first, partial epoch: from here on it owns its addresses and its records vouch.
        long from = AlignUp(Now()) + 2 * EpochMicros;
        SleepUntil(from + 100_000);
        var scan = ClusterNetwork.RunIn(1, TimeSpan.FromSeconds(120), "nmap", "-sS", "-Pn", "-n", "-p", "1-1000", "--max-retries", "0",
            ClusterNetwork.Address(2), ClusterNetwork.Address(3));
        Assert.True(scan.ExitCode == 0, $"nmap failed ({scan.ExitCode}): {scan.StandardError}");
        long to = AlignUp(Now()) + EpochMicros;
        SleepUntil(to + 500_000);
        Poll.Until("every node holds every node's records up to the window's end", () => cluster.AllNodes.All(n =>
        {
            var records = AgentCluster.Api(n).Records();
            return cluster.AllNodes.All(o => records.Keys.Any(k => k.Origin == AgentCluster.Name(o) && k.StartMicros == to - EpochMicros));
        }), TimeSpan.FromSeconds(40), () => cluster.Diagnostics());

        foreach (int node in cluster.AllNodes)
        {
            using var traffic = JsonDocument.Parse(AgentCluster.Api(node).Get($"/api/v1/traffic?from={from}&to={to}"));
            var crossCheck = traffic.RootElement.GetProperty("coverage").GetProperty("crossCheck");
            TestContext.Current.TestOutputHelper?.WriteLine($"n{node} crossCheck: {crossCheck}");
            var flagged = Assert.Single(crossCheck.GetProperty("flagged").EnumerateArray());
            Assert.Equal("n1", flagged.GetProperty("origin").GetString());
            Assert.Equal("hidden", flagged.GetProperty("verdict").GetString());
            Assert.Equal(["n2", "n3"], flagged.GetProperty("disputingPeers").EnumerateArray().Select(p => p.GetString()!).ToArray());
            // nmap sent one SYN per port to each target and got a RST back: about 4,000 packets n1 did not report.
            double hidden = flagged.GetProperty("peersSawPackets").GetDouble() - flagged.GetProperty("reportedPackets").GetDouble();
            Assert.True(hidden >= 3000, $"n1 hid {hidden} packets by its peers' accounts");

            using var top = JsonDocument.Parse(AgentCluster.Api(node).Get($"/api/v1/top?by=talkers&measure=packets&from={from}&to={to}&limit=3"));
            Assert.Equal(ClusterNetwork.Address(1), top.RootElement.GetProperty("entries")[0].GetProperty("key").GetString());

            Poll.Until($"n{node} raises the scan and cross-check alerts", () =>
            {
                using var alerts = JsonDocument.Parse(AgentCluster.Api(node).Get($"/api/v1/alerts?from={from}&to={to}"));
                var list = alerts.RootElement.GetProperty("alerts").EnumerateArray().ToList();
                return list.Any(a => a.GetProperty("kind").GetString() == "crossCheck" && a.GetProperty("subject").GetString() == "n1")
                    && list.Any(a => a.GetProperty("kind").GetString() is "portScan" or "hostScan"
                        && a.GetProperty("subject").GetString()!.StartsWith(ClusterNetwork.Address(1) + " ", StringComparison.Ordinal));
            }, TimeSpan.FromSeconds(30), () => AgentCluster.Api(node).Get($"/api/v1/alerts?from={from}&to={to}"));
        }

        // The dashboard of a peer shows the flag with its evidence (the page's window is the last 5 minutes).
        if (ExternalTool.Find("chromium") is not { } chromium || ExternalTool.Find("node") is not { } nodeJs)
        {
            TestContext.Current.TestOutputHelper?.WriteLine("dashboard check not run: chromium or node is missing (scripts/setup.sh installs both)");
            return;
        }
        string browserTests = Path.Combine(RepositoryLayout.Root, "tests", "browser");
        BrowserPackages.Install(browserTests);
        string screenshot = Path.Combine(AppContext.BaseDirectory, "cross-check.png");
        ProcessResult page = ChildProcess.Run(nodeJs,
            [Path.Combine(browserTests, "check-cross-check.mjs"), $"http://{ClusterNetwork.Address(2)}:{AgentApi.Port}/#token={ClusterApiToken.Value}", screenshot, "n1", "hidden"],
            TimeSpan.FromSeconds(120), browserTests, ("CHROMIUM", chromium));
        TestContext.Current.TestOutputHelper?.WriteLine(page.StandardOutput);
        Assert.True(page.ExitCode == 0, $"the dashboard never flagged n1 ({page.ExitCode}):\n{page.StandardOutput}\n{page.StandardError}");
        using var findings = JsonDocument.Parse(page.StandardOutput.Trim().Split('\n')[^1]);
        Assert.Contains("n2", findings.RootElement.GetProperty("evidence").GetString(), StringComparison.Ordinal);
    }
}
