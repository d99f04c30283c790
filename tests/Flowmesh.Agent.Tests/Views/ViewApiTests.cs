using System.Net;
using System.Text.Json;
using Flowmesh.Agent.Api;
using Flowmesh.Agent.Tests.Api;
using Flowmesh.Agent.ViewSources;
using Flowmesh.Core.Detections;
using Flowmesh.Core.Views;
using static Flowmesh.Agent.Tests.Views.ViewTestTraffic;

namespace Flowmesh.Agent.Tests.Views;

/// <summary>Shared server: 4 origins × 5 minutes of generated traffic with a scan spread thinly over them, behind the real API on loopback.</summary>
public sealed class ViewApiFixture : IAsyncLifetime
{
    /// <summary>Now lies in the last epoch of the traffic, so "window=5m" is exactly [T0, T0 + 300 s).</summary>
    public const long Now = T0 + 295 * Second;
    public const int ScanTargets = 80;

    internal ViewTestTraffic Traffic { get; } = Generate(seed: 11, origins: 4, start: T0, seconds: 300, scanTargets: ScanTargets);
    internal FakeViewSource Source { get; private set; } = null!;
    internal ViewCache Cache { get; private set; } = null!;
    internal DetectionRounds Detections { get; private set; } = null!;
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };
    private AgentApi? _api;

    public async ValueTask InitializeAsync()
    {
        // node-9 is a member that sent nothing: missing from every answer's coverage.
        var expected = Traffic.Origins.Select(o => new ExpectedOrigin(o, OriginLiveness.Alive)).Append(new ExpectedOrigin("node-9", OriginLiveness.Dead)).ToList();
        Source = new FakeViewSource(Traffic.Records, expected, Now);
        Cache = new ViewCache(Source);
        Detections = new DetectionRounds(Cache, new DetectionEngine());
        _api = await AgentApi.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), new FakeReadModel(), CancellationToken.None,
            app => ViewEndpoints.Map(app, Cache, Detections));
        Http.BaseAddress = _api.BaseAddress;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (_api is not null) await _api.DisposeAsync();
    }
}

/// <summary>
/// The view endpoints over real HTTP: documented shapes, answers checked against the exact truth of the generated
/// packets, and every bad or hostile query answered 4xx with a message, never 5xx.
/// </summary>
public sealed class ViewApiTests(ViewApiFixture fixture) : IClassFixture<ViewApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private ViewTestTraffic Traffic => fixture.Traffic;

    [Fact]
    public async Task TrafficTotalsAndSeriesAreTheExactTruth()
    {
        var root = await Ok("/api/v1/traffic?window=5m");
        Assert.Equal(["window", "coverage", "totals", "series"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("2023-11-14T22:13:20.000000Z", root.GetProperty("window").GetProperty("from").GetString());
        var bytes = root.GetProperty("totals").GetProperty("bytes");
        Assert.Equal(Traffic.Bytes, bytes.GetProperty("value").GetInt64());
        Assert.Equal(0, bytes.GetProperty("error").GetDouble());
        Assert.Equal(Traffic.Packets.Count, root.GetProperty("totals").GetProperty("packets").GetProperty("value").GetInt64());
        // The monitor's own part is always present; this traffic has none (no gossip endpoint was known to the summarizer).
        Assert.Equal(0, root.GetProperty("totals").GetProperty("monitor").GetProperty("bytes").GetProperty("value").GetDouble());
        // Exact over what arrived, but node-9 sent nothing: never claimed as exact.
        Assert.False(bytes.GetProperty("exact").GetBoolean());
        Assert.Contains("incompleteCoverage", bytes.GetProperty("caveats").EnumerateArray().Select(c => c.GetString()));

        var series = root.GetProperty("series").EnumerateArray().ToList();
        Assert.Equal(30, series.Count);
        Assert.All(series, p => Assert.Equal(10, p.GetProperty("seconds").GetDouble()));
        for (int i = 0; i < series.Count; i++)
        {
            long start = T0 + i * 10 * Second, end = start + 10 * Second;
            long truth = Traffic.Packets.Where(p => p.Micros >= start && p.Micros < end).Sum(p => (long)p.IpLength);
            Assert.Equal(truth, series[i].GetProperty("bytes").GetInt64());
        }

        var coverage = root.GetProperty("coverage");
        Assert.False(coverage.GetProperty("complete").GetBoolean());
        Assert.Equal(5, coverage.GetProperty("expected").GetInt32());
        Assert.Equal(4, coverage.GetProperty("contributing").GetInt32());
        Assert.Equal(["node-9"], coverage.GetProperty("missing").EnumerateArray().Select(e => e.GetString()));
        Assert.StartsWith("4 of 5 origins, newest data", coverage.GetProperty("summary").GetString());
        Assert.True(coverage.GetProperty("newestAgeSeconds").GetDouble() is >= 0 and <= 10);
    }

    [Fact]
    public async Task ExplicitFromToSelectsExactlyThoseEpochs()
    {
        long from = T0 + 60 * Second, to = T0 + 120 * Second;
        var root = await Ok($"/api/v1/traffic?from={from}&to=2023-11-14T22:15:20Z");
        long truth = Traffic.Packets.Where(p => p.Micros >= from && p.Micros < to).Sum(p => (long)p.IpLength);
        Assert.Equal(truth, root.GetProperty("totals").GetProperty("bytes").GetProperty("value").GetInt64());
        Assert.Equal("2023-11-14T22:14:20.000000Z", root.GetProperty("window").GetProperty("from").GetString());
    }

    [Theory]
    [InlineData("talkers", "bytes")]
    [InlineData("talkers", "packets")]
    [InlineData("destinations", "bytes")]
    [InlineData("pairs", "bytes")]
    public async Task TopHoldsEveryKeysTruthInsideItsBounds(string by, string measure)
    {
        var root = await Ok($"/api/v1/top?by={by}&measure={measure}&window=5m&limit=64");
        Assert.Equal(by, root.GetProperty("by").GetString());
        Assert.Equal(measure, root.GetProperty("measure").GetString());
        Assert.Equal("included", root.GetProperty("monitor").GetString()); // the documented default
        Func<TestPacket, string> key = by switch
        {
            "talkers" => p => p.Source,
            "destinations" => p => p.Destination,
            _ => p => $"{p.Source} -> {p.Destination}",
        };
        var truth = measure == "bytes" ? Traffic.BytesBy(key)
            : Traffic.Packets.GroupBy(key).ToDictionary(g => g.Key, g => (long)g.Count(), StringComparer.Ordinal);
        var entries = root.GetProperty("entries").EnumerateArray().ToList();
        Assert.NotEmpty(entries);
        foreach (var e in entries)
        {
            string label = e.GetProperty("key").GetString()!;
            var value = e.GetProperty("value");
            long t = truth.GetValueOrDefault(label);
            Assert.InRange(t, value.GetProperty("lower").GetDouble(), value.GetProperty("upper").GetDouble());
            Assert.Equal(value.GetProperty("exact").GetBoolean(), e.GetProperty("exact").GetBoolean());
            Assert.False(e.GetProperty("exact").GetBoolean()); // a missing origin: nothing is exact
            if (measure == "bytes")
            {
                Assert.Equal(value.GetProperty("value").GetDouble(), e.GetProperty("bytes").GetDouble());
                Assert.Equal(value.GetProperty("error").GetDouble(), e.GetProperty("bytesError").GetDouble());
            }
        }
        // The whole list (64 = the records' list size) is shown, so every other key is bounded by unlistedBound.
        double unlisted = root.GetProperty("unlistedBound").GetDouble();
        var listed = entries.Select(e => e.GetProperty("key").GetString()!).ToHashSet();
        Assert.All(truth.Where(kv => !listed.Contains(kv.Key)), kv => Assert.True(kv.Value <= unlisted, $"{kv.Key} weighs {kv.Value}, more than the unlisted bound {unlisted}"));
        if (by == "talkers")
        {
            // 4 × 37 senders overflow the 64-key summary: the bounds are real, not trivially zero.
            Assert.True(truth.Count > 64);
            Assert.True(unlisted > 0);
            Assert.Contains(entries, e => e.GetProperty("value").GetProperty("error").GetDouble() > 0);
        }
        Assert.Equal(measure == "bytes" ? Traffic.Bytes : Traffic.Packets.Count, root.GetProperty("total").GetProperty("value").GetInt64());
    }

    [Fact]
    public async Task MatrixCellsHoldTheirTruth()
    {
        var root = await Ok("/api/v1/matrix?by=subnet/24&window=5m&limit=1000");
        Assert.Equal("subnetMatrix", root.GetProperty("basis").GetString());
        var truth = Traffic.BytesBy(p => $"{Slash24(p.Source)}|{Slash24(p.Destination)}");
        var cells = root.GetProperty("cells").EnumerateArray().ToList();
        Assert.NotEmpty(cells);
        foreach (var c in cells)
        {
            string k = $"{c.GetProperty("from").GetString()}|{c.GetProperty("to").GetString()}";
            long t = truth.GetValueOrDefault(k);
            double v = c.GetProperty("bytes").GetDouble(), e = c.GetProperty("bytesError").GetDouble();
            Assert.InRange(t, Math.Max(0, v - e), v + e);
        }
        var listed = cells.Select(c => $"{c.GetProperty("from").GetString()}|{c.GetProperty("to").GetString()}").ToHashSet();
        double unattributed = root.GetProperty("unattributedBytes").GetDouble();
        Assert.All(truth.Where(kv => !listed.Contains(kv.Key)), kv => Assert.True(kv.Value <= unattributed));
        var hosts = await Ok("/api/v1/matrix?by=host&window=5m");
        Assert.Equal("topPairs", hosts.GetProperty("basis").GetString());
        Assert.Equal(32, hosts.GetProperty("ipv4Prefix").GetInt32());
    }

    [Fact]
    public async Task ContributionsAndNodeDetailAreExactPerOrigin()
    {
        var root = await Ok("/api/v1/contributions?window=5m");
        var truth = Traffic.BytesBy(p => p.Origin);
        var nodes = root.GetProperty("nodes").EnumerateArray().ToDictionary(n => n.GetProperty("name").GetString()!);
        foreach (var (origin, bytes) in truth)
        {
            var b = nodes[origin].GetProperty("bytes");
            Assert.Equal(bytes, b.GetProperty("value").GetInt64());
            Assert.True(b.GetProperty("exact").GetBoolean()); // a complete origin is exact even though node-9 is missing
            Assert.Equal("complete", nodes[origin].GetProperty("status").GetString());
        }
        Assert.Equal("missing", nodes["node-9"].GetProperty("status").GetString());
        Assert.Equal("dead", nodes["node-9"].GetProperty("state").GetString());

        var node = await Ok("/api/v1/nodes/node-2?window=1h");
        Assert.Equal("node-2", node.GetProperty("name").GetString());
        Assert.Equal("alive", node.GetProperty("state").GetString());
        Assert.Equal(truth["node-2"], node.GetProperty("contribution").GetProperty("bytes").GetProperty("value").GetInt64());

        var (status, body) = await Get("/api/v1/nodes/nobody");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("nobody", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task DistinctCountsHoldTheTruth()
    {
        var root = await Ok("/api/v1/distinct?window=5m");
        void Check(string name, int truth)
        {
            var m = root.GetProperty(name);
            Assert.InRange(truth, m.GetProperty("lower").GetDouble(), m.GetProperty("upper").GetDouble());
        }
        Check("sources", Traffic.Packets.Select(p => p.Source).Distinct().Count());
        Check("destinations", Traffic.Packets.Select(p => p.Destination).Distinct().Count());
    }

    [Fact]
    public async Task AScanSpreadOverTheOriginsIsOneAlertWithEvidence()
    {
        var root = await Ok("/api/v1/alerts?window=5m");
        var alerts = root.GetProperty("alerts").EnumerateArray().ToList();
        var scan = Assert.Single(alerts, a => a.GetProperty("kind").GetString() == "hostScan");
        Assert.Equal("10.66.0.1", scan.GetProperty("subject").GetString());
        Assert.False(string.IsNullOrEmpty(scan.GetProperty("summary").GetString()));
        Assert.Equal(4, scan.GetProperty("origins").GetArrayLength()); // each origin saw 20 of the 80 hosts, below the threshold alone
        var evidence = scan.GetProperty("evidence")[0];
        Assert.InRange(ViewApiFixture.ScanTargets, evidence.GetProperty("lower").GetDouble(), evidence.GetProperty("upper").GetDouble());
        Assert.True(evidence.GetProperty("threshold").GetDouble() >= 25);
        Assert.Contains("4 of 5 origins", scan.GetProperty("coverage").GetString());

        // Asked again: deduplicated, the same single entry.
        var again = await Ok("/api/v1/alerts?window=15m");
        Assert.Single(again.GetProperty("alerts").EnumerateArray(), a => a.GetProperty("id").GetString() == scan.GetProperty("id").GetString());
        // A window before the scan has none.
        var before = await Ok($"/api/v1/alerts?from={T0 - 3600 * Second}&to={T0 - 1800 * Second}");
        Assert.Equal(0, before.GetProperty("alerts").GetArrayLength());
    }

    [Theory]
    [InlineData("/api/v1/top?by=bogus")]
    [InlineData("/api/v1/top?monitor=bogus")]
    [InlineData("/api/v1/top?by=flows&monitor=exclude")]
    [InlineData("/api/v1/top?by=ports&monitor=exclude")]
    [InlineData("/api/v1/top?measure=flows")]
    [InlineData("/api/v1/top?limit=0")]
    [InlineData("/api/v1/top?limit=65")]
    [InlineData("/api/v1/top?limit=1e3")]
    [InlineData("/api/v1/top?limit=-1")]
    [InlineData("/api/v1/traffic?window=5x")]
    [InlineData("/api/v1/traffic?window=0m")]
    [InlineData("/api/v1/traffic?window=-5m")]
    [InlineData("/api/v1/traffic?window=99999d")]
    [InlineData("/api/v1/traffic?window=32d")]
    [InlineData("/api/v1/traffic?window=9223372036854775807s")]
    [InlineData("/api/v1/traffic?window=")]
    [InlineData("/api/v1/traffic?from=2026-01-01T00:00:00Z")]
    [InlineData("/api/v1/traffic?window=5m&from=1&to=2")]
    [InlineData("/api/v1/traffic?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z")]
    [InlineData("/api/v1/traffic?from=yesterday&to=today")]
    [InlineData("/api/v1/traffic?from=1&to=99999999999999999999999")]
    [InlineData("/api/v1/traffic?from=0&to=1")]
    [InlineData("/api/v1/traffic?from=1700000000000000&to=1800000000000000")]
    [InlineData("/api/v1/traffic?windw=5m")]
    [InlineData("/api/v1/traffic?window=5m&window=1h")]
    [InlineData("/api/v1/matrix?by=subnet/33")]
    [InlineData("/api/v1/matrix?by=subnet/0")]
    [InlineData("/api/v1/matrix?by=subnet/")]
    [InlineData("/api/v1/matrix?by=subnet/+24")]
    [InlineData("/api/v1/matrix?by=hosts")]
    [InlineData("/api/v1/matrix?limit=100000")]
    [InlineData("/api/v1/alerts?window=never")]
    [InlineData("/api/v1/alerts?by=talkers")]
    [InlineData("/api/v1/distinct?limit=3")]
    [InlineData("/api/v1/contributions?window=%00")]
    [InlineData("/api/v1/nodes/node-1?window=1y")]
    public async Task BadQueriesAre400WithAMessage(string path)
    {
        var (status, body) = await Get(path);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task OtherMethodsAre405()
    {
        using var response = await fixture.Http.PostAsync("/api/v1/top", null, Ct);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    [Fact]
    public async Task RandomQueryStringsNeverGetA5xx()
    {
        var random = new Random(20261124);
        string[] paths = ["/api/v1/traffic", "/api/v1/top", "/api/v1/matrix", "/api/v1/alerts", "/api/v1/distinct", "/api/v1/contributions", "/api/v1/nodes/node-1", "/api/v1/nodes/%E2%80%AE"];
        string[] keys = ["window", "from", "to", "by", "measure", "limit", "x", "", "WINDOW"];
        string[] values = ["5m", "1h", "24h", "0", "-1", "subnet/24", "host", "talkers", "packets", "1700000000000000", "2023-11-14T22:13:20Z", "9999999999999999999", "NaN", "∞", "%", "1e309"];
        for (int i = 0; i < 300; i++)
        {
            var parts = new List<string>();
            for (int p = random.Next(0, 4); p > 0; p--)
            {
                string key = keys[random.Next(keys.Length)];
                string value = random.Next(3) == 0 ? RandomText(random) : values[random.Next(values.Length)];
                parts.Add($"{Uri.EscapeDataString(key)}={Uri.EscapeDataString(value)}");
            }
            string url = paths[random.Next(paths.Length)] + (parts.Count > 0 ? "?" + string.Join('&', parts) : "");
            using var response = await fixture.Http.GetAsync(url, Ct);
            Assert.True((int)response.StatusCode < 500, $"{url} -> {(int)response.StatusCode}");
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
            if ((int)response.StatusCode >= 400) Assert.True(json.RootElement.TryGetProperty("error", out _), url);
        }
    }

    private static string RandomText(Random random)
    {
        var chars = new char[random.Next(0, 40)];
        for (int i = 0; i < chars.Length; i++) chars[i] = (char)random.Next(1, 0xD7FF);
        return new string(chars);
    }

    /// <summary>These records name no zone (older builds): every origin is unplaced, and bad parents are 400s.</summary>
    [Fact]
    public async Task ZonesPlaceOriginsByTheirRecordsAndRefuseBadParents()
    {
        var root = await Ok("/api/v1/zones?window=5m");
        Assert.Equal(["window", "parent", "zones", "here", "unplaced"], root.EnumerateObject().Select(p => p.Name));
        Assert.Empty(root.GetProperty("zones").EnumerateArray());
        var unplaced = root.GetProperty("unplaced");
        Assert.Equal(5, unplaced.GetProperty("origins").GetInt32()); // four reporting, and node-9 (dead, nothing sent)
        Assert.Equal(4, unplaced.GetProperty("reporting").GetInt32());
        Assert.Contains("node-9", unplaced.GetProperty("members").EnumerateArray().Select(m => m.GetString()));
        foreach (string bad in new[] { "parent=Site", "parent=a//b", "parent=a&parent=b", "parent=a&by=x" })
        {
            var (status, body) = await Get("/api/v1/zones?" + bad);
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.False(string.IsNullOrEmpty(body.GetProperty("error").GetString()));
        }
    }

    private async Task<JsonElement> Ok(string path)
    {
        var (status, body) = await Get(path);
        Assert.True(status == HttpStatusCode.OK, $"{path} -> {(int)status}: {body}");
        return body;
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> Get(string path)
    {
        using var response = await fixture.Http.GetAsync(path, Ct);
        string text = await response.Content.ReadAsStringAsync(Ct);
        using var json = JsonDocument.Parse(text);
        return (response.StatusCode, json.RootElement.Clone());
    }
}
