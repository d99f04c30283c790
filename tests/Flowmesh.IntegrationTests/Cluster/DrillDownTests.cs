using System.Net;
using System.Text.Json;

namespace Flowmesh.IntegrationTests.Cluster;

/// <summary>
/// Drill-down on three real agents in three namespaces: node 3 pings node 2 a known number of times, and node 1 (which
/// saw none of it) answers GET /api/v1/flows for node 3's address with the exact flow records fetched from nodes 2 and
/// 3 over the authenticated gossip streams. Truth is what ping sent: N echo requests of a known size and N replies.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class DrillDownTests : IDisposable
{
    private const int Nodes = 3;
    private const int Pings = 7;
    private const int PayloadBytes = 100;
    private const long IpBytesPerPacket = 20 + 8 + PayloadBytes; // IPv4 header + ICMP header + payload: the IP length the agents count
    private static readonly HttpClient s_http = CreateClient();

    private static HttpClient CreateClient()
    {
        var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", ClusterApiToken.Header);
        return http;
    }
    private readonly SmallCluster _agents = new(Nodes);

    public void Dispose() => _agents.Dispose();

    private AgentCluster Cluster => _agents.Agents;

    [Fact]
    public async Task Node_one_fetches_the_exact_ping_flows_of_node_three_from_the_nodes_that_observed_them()
    {
        var cluster = Cluster;
        string n3 = ClusterNetwork.Address(3), n2 = ClusterNetwork.Address(2);
        Poll.Until("every agent sees three alive members", () => cluster.AllNodes.All(n => AgentCluster.Api(n).Members().Members.Count(m => m.IsAlive) == Nodes),
            TimeSpan.FromSeconds(60), () => cluster.Diagnostics());

        var ping = ClusterNetwork.RunIn(3, TimeSpan.FromSeconds(30), "ping", "-c", Pings.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-i", "0.2", "-s", PayloadBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), "-q", n2);
        Assert.True(ping.ExitCode == 0, $"ping failed: {ping.StandardOutput} {ping.StandardError}");
        Assert.Contains($"{Pings} packets transmitted, {Pings} received", ping.StandardOutput);

        string path = $"/api/v1/flows?address={n3}&window=5m&protocol=icmp";
        JsonDocument? answer = null;
        List<JsonElement> Icmp(JsonDocument doc, string origin) => [.. doc.RootElement.GetProperty("flows").EnumerateArray()
            .Where(f => f.GetProperty("origin").GetString() == origin && f.GetProperty("source").GetString() == n3 && f.GetProperty("destination").GetString() == n2)];
        bool Complete(JsonDocument doc) =>
            new[] { "n2", "n3" }.All(o => Icmp(doc, o).Sum(f => f.GetProperty("packetsOut").GetInt64()) >= Pings
                                       && Icmp(doc, o).Sum(f => f.GetProperty("packetsIn").GetInt64()) >= Pings);
        // The flows of an epoch are stored when it seals (2 s in this cluster); poll until both observers have all of them.
        Poll.Until("node 1 returns both observers' ping flows", () =>
        {
            answer?.Dispose();
            answer = JsonDocument.Parse(AgentCluster.Api(1).Get(path));
            return Complete(answer);
        }, TimeSpan.FromSeconds(60), () => answer?.RootElement.GetRawText() ?? "no answer yet");

        var root = answer!.RootElement;
        Assert.Equal(n3, root.GetProperty("address").GetString());
        Assert.Equal(["n1", "n2", "n3"], root.GetProperty("asked").EnumerateArray().Select(e => e.GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(["n1", "n2", "n3"], root.GetProperty("answered").EnumerateArray().Select(e => e.GetString()).Order(StringComparer.Ordinal));
        Assert.Empty(root.GetProperty("failed").EnumerateArray());
        foreach (string origin in new[] { "n2", "n3" })
        {
            var flow = Assert.Single(Icmp(answer, origin));
            Assert.Equal("icmp", flow.GetProperty("protocol").GetString());
            Assert.Equal(Pings, flow.GetProperty("packetsOut").GetInt64());
            Assert.Equal(Pings, flow.GetProperty("packetsIn").GetInt64());
            Assert.Equal(Pings * IpBytesPerPacket, flow.GetProperty("bytesOut").GetInt64());
            Assert.Equal(Pings * IpBytesPerPacket, flow.GetProperty("bytesIn").GetInt64());
            Assert.True(flow.GetProperty("firstMicros").GetInt64() <= flow.GetProperty("lastMicros").GetInt64());
            // ping -i 0.2: the last reply comes about (N-1) x 0.2 s after the first request.
            double seconds = (flow.GetProperty("lastMicros").GetInt64() - flow.GetProperty("firstMicros").GetInt64()) / 1e6;
            Assert.InRange(seconds, (Pings - 1) * 0.2 - 0.1, (Pings - 1) * 0.2 + 2);
        }
        // Node 1 has no flow between 3 and 2 of its own to add (it is not on their path), and asking it alone says so.
        using var onlyN3 = JsonDocument.Parse(AgentCluster.Api(1).Get(path + "&origin=n3"));
        Assert.Equal(["n3"], onlyN3.RootElement.GetProperty("asked").EnumerateArray().Select(e => e.GetString()));
        Assert.Single(Icmp(onlyN3, "n3"));
        Assert.Empty(Icmp(onlyN3, "n2"));
        answer.Dispose();

        // Nodes 2 and 3 served node 1's queries and say so in /metrics, with the rows they keep.
        foreach (int node in new[] { 2, 3 })
        {
            string metrics = AgentCluster.Api(node).Get("/metrics");
            Assert.True(MetricValue(metrics, "flowmesh_flow_queries_total{outcome=\"served\"}") >= 1, metrics);
            Assert.Equal(0, MetricValue(metrics, "flowmesh_flow_queries_total{outcome=\"malformed\"}"));
            Assert.True(MetricValue(metrics, "flowmesh_flow_log_rows_total{outcome=\"written\"}") > 0, metrics);
        }

        // An observer cut off the LAN: node 1 still answers within its timeout, with node 3's flows, and names node 2
        // as failed (still a member, did not answer) or not asked (already declared dead).
        cluster.Network.Cut(2);
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var partial = JsonDocument.Parse(await s_http.GetStringAsync(AgentCluster.Api(1).BaseUrl + path, TestContext.Current.CancellationToken));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"the answer took {clock.Elapsed.TotalSeconds:0.0} s");
            var p = partial.RootElement;
            var missing = p.GetProperty("failed").EnumerateArray().Concat(p.GetProperty("notAsked").EnumerateArray()).Select(e => e.GetString()).ToList();
            Assert.Contains("n2", missing);
            Assert.DoesNotContain("n2", p.GetProperty("answered").EnumerateArray().Select(e => e.GetString()));
            Assert.Contains("n3", p.GetProperty("answered").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(Pings, Assert.Single(Icmp(partial, "n3")).GetProperty("packetsOut").GetInt64());
            Assert.Empty(Icmp(partial, "n2"));
        }
        finally
        {
            cluster.Network.Heal(2);
        }
    }

    private static double MetricValue(string exposition, string series) =>
        double.Parse(exposition.Split('\n').Single(l => l.StartsWith(series + " ", StringComparison.Ordinal))[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task Bad_drill_down_requests_get_a_4xx_with_a_message()
    {
        _ = Cluster;
        string baseUrl = AgentCluster.Api(1).BaseUrl;
        (string Query, HttpStatusCode Status)[] cases =
        [
            ("", HttpStatusCode.BadRequest),
            ("?address=10.77.0", HttpStatusCode.BadRequest),
            ("?address=not-an-ip", HttpStatusCode.BadRequest),
            ("?address=10.77.0.0/33", HttpStatusCode.BadRequest),
            ("?address=10.77.0.3&window=5x", HttpStatusCode.BadRequest),
            ("?address=10.77.0.3&limit=0", HttpStatusCode.BadRequest),
            ("?address=10.77.0.3&port=70000", HttpStatusCode.BadRequest),
            ("?address=10.77.0.3&protocol=sctpx", HttpStatusCode.BadRequest),
            ("?address=10.77.0.3&adress=1", HttpStatusCode.BadRequest),
            ("?address=10.77.0.3&address=10.77.0.2", HttpStatusCode.BadRequest),
            ("?address=10.77.0.3&origin=nobody", HttpStatusCode.NotFound),
        ];
        foreach (var (query, status) in cases)
        {
            using var response = await s_http.GetAsync(baseUrl + "/api/v1/flows" + query, TestContext.Current.CancellationToken);
            string body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.True(response.StatusCode == status, $"{query}: {(int)response.StatusCode} {body}");
            using var error = JsonDocument.Parse(body);
            Assert.False(string.IsNullOrWhiteSpace(error.RootElement.GetProperty("error").GetString()), query);
        }
    }
}
