using System.Net;
using System.Text.RegularExpressions;
using Flowmesh.Agent.Metrics;
using Flowmesh.Agent.Tests.Metrics;

namespace Flowmesh.Agent.Tests.Hosting;

/// <summary>
/// A real agent with --otlp pushes to a collector endpoint on loopback: the test decodes the protobuf posts itself and
/// finds the agent's meter, its metric names and a counter whose value the test caused and counted (requests the API
/// refused), equal to what /metrics says.
/// </summary>
[Collection(nameof(AgentProcessCollection))]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class OtlpExportAgentTests : IDisposable
{
    private const int ForeignRequests = 3;
    private readonly string _directory = Directory.CreateTempSubdirectory("fmh-otlp-").FullName;
    private readonly OtlpReceiver _collector = new();
    private AgentProcess? _agent;

    public void Dispose()
    {
        _agent?.Dispose();
        _collector.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task The_agents_metrics_arrive_over_otlp_http_with_the_counter_values_it_counted()
    {
        _agent = AgentProcess.Start("otlp-a", _directory, "--otlp", _collector.BaseUrl, "--otlp-interval", "1s");
        var ct = TestContext.Current.CancellationToken;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        int refused = 0;
        for (int i = 0; i < ForeignRequests; i++)
        {
            using var foreign = new HttpRequestMessage(HttpMethod.Get, new Uri(_agent.Api, "/api/v1/status"));
            foreign.Headers.Host = "rebind.example";
            using var response = await http.SendAsync(foreign, ct);
            if (response.StatusCode == HttpStatusCode.Forbidden) refused++;
        }
        Assert.Equal(ForeignRequests, refused);
        // A view build, for the histogram.
        using (var traffic = await http.GetAsync(new Uri(_agent.Api, "/api/v1/traffic?window=1m"), ct))
            Assert.True(traffic.IsSuccessStatusCode, await traffic.Content.ReadAsStringAsync(ct));

        OtlpMetricsRequest? export = null;
        AgentProcess.WaitUntil(() =>
        {
            export = _collector.Received.Select(r => r.Request).LastOrDefault(r =>
                Point(r, "flowmesh.api.refused", "reason", "foreign_host")?.Value == ForeignRequests
                && r.Points.Any(p => p.Metric == "flowmesh.view.build.duration" && p.Count >= 1));
            return export is not null;
        }, TimeSpan.FromSeconds(30), () => $"{_collector.Received.Count} posts, failures: {string.Join("; ", _collector.Failures)}\n{_agent.Output}");

        Assert.Empty(_collector.Failures);
        Assert.Contains($"pushing metrics by OTLP/HTTP to {_collector.BaseUrl}/v1/metrics every 1 s", _agent.Output, StringComparison.Ordinal);
        var (path, contentType, _) = _collector.Received.First();
        Assert.Equal("/v1/metrics", path);
        Assert.Equal("application/x-protobuf", contentType);
        Assert.Equal("flowmesh", export!.Resource["service.name"]);
        Assert.Equal("otlp-a", export.Resource["service.instance.id"]);
        Assert.All(export.Points, p => Assert.Equal(AgentMeter.MeterName, p.Scope));

        // Counters arrive as cumulative monotonic sums (temporality 2), like /metrics.
        var refusals = Point(export, "flowmesh.api.refused", "reason", "foreign_host")!;
        Assert.Equal(("sum", true, 2), (refusals.Kind, refusals.Monotonic, refusals.Temporality));
        var members = Point(export, "flowmesh.gossip.members", "state", "alive")!;
        Assert.Equal(("gauge", 1.0), (members.Kind, members.Value));
        Assert.Equal("otlp-a", Point(export, "flowmesh.agent.info", "node", "otlp-a")?.Attributes["node"]);
        Assert.Contains(export.Points, p => p.Metric == "flowmesh.capture.packets");
        Assert.Contains(export.Points, p => p.Metric == "flowmesh.records.stored_bytes" && p.Unit == "By");

        // Every metric that arrived is a family of /metrics under its Prometheus name (one rule set, docs/metrics.md),
        // and /metrics counts the same refusals.
        string metrics = await http.GetStringAsync(new Uri(_agent.Api, "/metrics"), ct);
        var families = Regex.Matches(metrics, @"(?m)^# TYPE (\S+) ").Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        foreach (var metric in export.Points.GroupBy(p => p.Metric).Select(g => g.First()))
            Assert.Contains(PrometheusNames.Of(metric.Metric, metric.Unit, metric.Kind == "sum" && metric.Monotonic), families);
        Assert.Matches(new Regex($@"(?m)^flowmesh_api_refused_total\{{reason=""foreign_host""\}} {ForeignRequests}$"), metrics);
    }

    private static OtlpPoint? Point(OtlpMetricsRequest request, string metric, string label, string value) =>
        request.Points.LastOrDefault(p => p.Metric == metric && p.Attributes.TryGetValue(label, out string? v) && v == value);
}
