using System.Diagnostics;
using System.Text.Json;
using Flowmesh.IntegrationTests.Infrastructure;
using Flowmesh.IntegrationTests.Metrics;

namespace Flowmesh.IntegrationTests.Cluster;

/// <summary>
/// What people look at, on three real agents in three namespaces with real traffic between them: Debian's Prometheus
/// scraping every agent answers every PromQL expression of the Grafana dashboard, and the dashboard page in Debian's
/// Chromium shows the members, the top talkers and a chart with painted pixels (screenshot kept next to the tests).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class DashboardAndMetricsTests : IDisposable
{
    private const int Nodes = 3;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly SmallCluster _agents = new(Nodes);

    public void Dispose() => _agents.Dispose();

    private AgentCluster Cluster => _agents.Agents;

    /// <summary>Pings from every node to every other: traffic each agent captures and seals.</summary>
    private static void DriveTraffic()
    {
        foreach (int from in Enumerable.Range(1, Nodes))
            foreach (int to in Enumerable.Range(1, Nodes).Where(n => n != from))
                ClusterNetwork.RunIn(from, TimeSpan.FromSeconds(20), "ping", "-c", "5", "-i", "0.2", "-q", ClusterNetwork.Address(to));
    }

    [Fact]
    public async Task Every_grafana_query_returns_data_from_prometheus_scraping_the_agents()
    {
        var cluster = Cluster;
        string prometheus = ExternalTool.RequireOrSkip("prometheus");
        DriveTraffic();
        var queries = GrafanaQueries();
        Assert.True(queries.Count >= 10, $"the dashboard has only {queries.Count} queries");
        using var server = PrometheusServer.Start(prometheus,
            cluster.AllNodes.Select(n => $"{ClusterNetwork.Address(n)}:{AgentApi.Port}"), ClusterApiToken.File);
        var clock = Stopwatch.StartNew();
        var empty = queries.ToList();
        // rate() needs two scrapes inside its range, and the cluster-wide view needs records from the peers.
        while (empty.Count > 0 && clock.Elapsed < TimeSpan.FromSeconds(90))
        {
            await Task.Delay(1000, Ct);
            var still = new List<string>();
            foreach (string query in empty)
                if (await server.SeriesCountAsync(query, Ct) is not > 0) still.Add(query);
            empty = still;
        }
        TestContext.Current.TestOutputHelper?.WriteLine($"{queries.Count - empty.Count} of {queries.Count} dashboard queries answered after {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.True(empty.Count == 0, $"these dashboard queries returned no data after {clock.Elapsed.TotalSeconds:0} s:\n{string.Join('\n', empty)}\n{cluster.Diagnostics()}");
        Assert.Equal(Nodes, await server.SeriesCountAsync("up{job=\"flowmesh\"} == 1", Ct));
    }

    [Fact]
    public void The_dashboard_shows_members_talkers_and_a_rendered_chart_in_chromium()
    {
        var cluster = Cluster;
        string chromium = ExternalTool.RequireOrSkip("chromium");
        string node = ExternalTool.RequireOrSkip("node");
        string browserTests = Path.Combine(RepositoryLayout.Root, "tests", "browser");
        BrowserPackages.Install(browserTests);
        DriveTraffic();
        string screenshot = Path.Combine(AppContext.BaseDirectory, "dashboard.png");
        File.Delete(screenshot);
        var members = cluster.AllNodes.Select(AgentCluster.Name).ToArray();
        ProcessResult run = ChildProcess.Run(node,
            [Path.Combine(browserTests, "check-dashboard.mjs"), $"http://{ClusterNetwork.Address(1)}:{AgentApi.Port}/#token={ClusterApiToken.Value}", screenshot, .. members],
            TimeSpan.FromSeconds(150), browserTests, ("CHROMIUM", chromium));
        TestContext.Current.TestOutputHelper?.WriteLine(run.StandardOutput);
        Assert.True(run.ExitCode == 0, $"browser check failed ({run.ExitCode}):\n{run.StandardOutput}\n{run.StandardError}\n{cluster.Diagnostics()}");
        using var findings = JsonDocument.Parse(run.StandardOutput.Trim().Split('\n')[^1]);
        var shown = findings.RootElement.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("name").GetString()).ToHashSet();
        Assert.Superset(members.ToHashSet(), shown!);
        // The talkers are the namespaces' own addresses: the ping traffic each agent saw and sealed.
        var talkers = findings.RootElement.GetProperty("talkers").EnumerateArray().Select(t => t.GetString()!).ToList();
        Assert.Contains(talkers, t => t.StartsWith(ClusterNetwork.Subnet + ".", StringComparison.Ordinal));
        Assert.True(findings.RootElement.GetProperty("paintedPixels").GetInt32() > 1000);
        // The zones panel accounts for every member at the top level ("alive / origins" per zone) and goes down a level.
        var zones = findings.RootElement.GetProperty("zones").EnumerateArray().Select(z => z.GetProperty("alive").GetString()!).ToList();
        Assert.NotEmpty(zones);
        Assert.Equal(Nodes, zones.Sum(z => int.Parse(z.Split(" / ")[0], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.StartsWith("in ", findings.RootElement.GetProperty("zoneDrilled").GetString());
        // Clicking the first talker drilled down: every flow shown has that host at one end.
        string drilled = findings.RootElement.GetProperty("drilled").GetString()!;
        Assert.Equal(talkers[0], drilled);
        var flows = findings.RootElement.GetProperty("flows").EnumerateArray().ToList();
        Assert.NotEmpty(flows);
        Assert.All(flows, f => Assert.True(
            new[] { f.GetProperty("source").GetString()!, f.GetProperty("destination").GetString()! }.Any(e => e == drilled || e.StartsWith(drilled + ":", StringComparison.Ordinal)),
            $"flow {f} does not involve {drilled}"));
        Assert.True(new FileInfo(screenshot).Length > 10_000, "the screenshot is missing or empty");
        TestContext.Current.TestOutputHelper?.WriteLine($"screenshot: {screenshot}");
    }

    private static IReadOnlyList<string> GrafanaQueries()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryLayout.Root, "deploy", "grafana", "flowmesh-dashboard.json")));
        return [.. dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .Select(t => t.GetProperty("expr").GetString()!)];
    }
}
