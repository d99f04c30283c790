using System.Net;
using System.Net.Http.Headers;
using Flowmesh.Agent.Api;

namespace Flowmesh.Agent.Tests.Api;

/// <summary>/metrics and the dashboard through the agent's real Kestrel host on loopback.</summary>
public sealed class MetricsAndDashboardHttpTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private AgentApi? _api;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public async ValueTask InitializeAsync()
    {
        _api = await AgentApi.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), new FakeReadModel(), CancellationToken.None);
        _http.BaseAddress = _api.BaseAddress;
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (_api is not null) await _api.DisposeAsync();
    }

    [Fact]
    public async Task Metrics_are_served_in_the_prometheus_text_format()
    {
        using var response = await _http.GetAsync("/metrics", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        string text = await response.Content.ReadAsStringAsync(Ct);
        Assert.Contains("flowmesh_capture_packets_total 1234\n", text);
        Assert.Contains("flowmesh_gossip_members{state=\"alive\"} 2\n", text);
        Assert.Contains("flowmesh_gossip_members{state=\"suspect\"} 0\n", text);
        Assert.Contains("flowmesh_gossip_dropped_packets_total{reason=\"replayed\"} 3\n", text);
        // Every known reason is present from the start, so rate() over it has a series before the first drop.
        Assert.Contains("flowmesh_gossip_dropped_packets_total{reason=\"not_authenticated\"} 0\n", text);
        Assert.Contains("process_resident_memory_bytes ", text);
        Assert.DoesNotContain("flowmesh_cluster_traffic_bytes_per_second", text);
    }

    [Fact]
    public async Task Metrics_refuse_query_parameters_with_a_400()
    {
        using var response = await _http.GetAsync("/metrics?name[]=x", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task The_page_and_its_bundle_are_served_with_a_restrictive_policy()
    {
        using var page = await _http.GetAsync("/", Ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Contains("<canvas id=\"talkers-chart\"", await page.Content.ReadAsStringAsync(Ct));
        using var script = await _http.GetAsync("/app.js", Ct);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.True((await script.Content.ReadAsByteArrayAsync(Ct)).Length > 50_000);
    }

    [Fact]
    public async Task A_reload_with_the_entity_tag_costs_a_304()
    {
        using var first = await _http.GetAsync("/app.js", Ct);
        var etag = first.Headers.ETag!;
        using var request = new HttpRequestMessage(HttpMethod.Get, "/app.js");
        request.Headers.IfNoneMatch.Add(etag);
        using var second = await _http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
        Assert.Empty(await second.Content.ReadAsByteArrayAsync(Ct));
    }

    [Theory]
    [InlineData("/index.html.bak")]
    [InlineData("/flowmesh.dll")]
    [InlineData("/node_modules/chart.js/package.json")]
    public async Task Nothing_but_the_bundle_is_served(string path)
    {
        using var response = await _http.GetAsync(path, Ct);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Posting_to_the_page_is_405_not_404()
    {
        using var response = await _http.PostAsync("/", new StringContent(""), Ct);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }
}
