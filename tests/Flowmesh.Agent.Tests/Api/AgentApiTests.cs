using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Flowmesh.Agent.Api;

namespace Flowmesh.Agent.Tests.Api;

/// <summary>The API over real HTTP on loopback: shapes, and every kind of bad request answered 4xx with a message.</summary>
public sealed class AgentApiTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly FakeReadModel _model = new();
    private AgentApi? _api;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public async ValueTask InitializeAsync()
    {
        _api = await AgentApi.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), _model, CancellationToken.None);
        _http.BaseAddress = _api.BaseAddress;
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (_api is not null) await _api.DisposeAsync();
    }

    [Fact]
    public async Task MembersHasTheDocumentedShape()
    {
        var (status, json) = await Get("/api/v1/members");
        Assert.Equal(HttpStatusCode.OK, status);
        var root = json.RootElement;
        Assert.Equal("a", root.GetProperty("self").GetString());
        var first = root.GetProperty("members")[0];
        Assert.Equal(["name", "address", "state", "incarnation", "sinceSeconds", "conflictingAddresses", "clockOffsetSeconds", "clockSkewed"],
            first.EnumerateObject().Select(p => p.Name));
        Assert.Equal(-0.002, first.GetProperty("clockOffsetSeconds").GetDouble());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("members")[2].GetProperty("clockOffsetSeconds").ValueKind);
        Assert.True(root.GetProperty("members")[1].GetProperty("clockSkewed").GetBoolean());
        Assert.Empty(first.GetProperty("conflictingAddresses").EnumerateArray());
        Assert.Equal("10.0.0.1:7946", first.GetProperty("address").GetString());
        Assert.Equal("alive", first.GetProperty("state").GetString());
        Assert.Equal(3, first.GetProperty("incarnation").GetInt32());
        Assert.Equal(12.5, first.GetProperty("sinceSeconds").GetDouble());
        Assert.Equal(4, root.GetProperty("members").GetArrayLength());
    }

    [Fact]
    public async Task StatusHasTheDocumentedShape()
    {
        var (status, json) = await Get("/api/v1/status");
        Assert.Equal(HttpStatusCode.OK, status);
        var root = json.RootElement;
        Assert.Equal(["name", "incarnation", "uptimeSeconds", "epochSeconds", "capture", "records", "origins", "gossip", "ownership", "clock", "zone"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("site-a/3/0/7/1", root.GetProperty("zone").GetString());
        var clock = root.GetProperty("clock");
        Assert.Equal(["offsetSeconds", "peersSampled", "alertSeconds", "skewed", "recordsAcceptedFromSkewedClocks", "retentionHeldBack"], clock.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["name", "offsetSeconds", "message"], clock.GetProperty("skewed")[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal(3599.6, clock.GetProperty("skewed")[0].GetProperty("offsetSeconds").GetDouble());
        Assert.Equal(1234, root.GetProperty("capture").GetProperty("packets").GetInt64());
        Assert.Equal(5, root.GetProperty("capture").GetProperty("drops").GetInt64());
        Assert.Equal(6, root.GetProperty("records").GetProperty("sealed").GetInt64());
        Assert.Equal(1, root.GetProperty("records").GetProperty("skippedAlreadyStored").GetInt64());
        Assert.Equal(4.5, root.GetProperty("origins")[0].GetProperty("newestAgeSeconds").GetDouble());
        Assert.Equal(10_000, root.GetProperty("gossip").GetProperty("bytesSent").GetInt64());
    }

    [Fact]
    public async Task RecordsPassesTheParsedQueryOn()
    {
        var (status, json) = await Get("/api/v1/records?origin=b&from=1795914000&to=2026-12-01T02:00:00Z&limit=5");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(812, json.RootElement.GetProperty("records")[0].GetProperty("bytes").GetInt32());
        var query = Assert.Single(_model.RecordQueries);
        Assert.Equal("b", query.Origin);
        Assert.Equal(1_795_914_000_000_000, query.From);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 2, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds() * 1000, query.To);
        Assert.Equal(5, query.Limit);

        await Get("/api/v1/records");
        Assert.Equal((null, long.MinValue, long.MaxValue, RecordsQuery.DefaultLimit), _model.RecordQueries[1]);
        await Get("/api/v1/records?from=1.5");
        Assert.Equal(1_500_000, _model.RecordQueries[2].From);
    }

    [Theory]
    [InlineData("/api/v1/records?limit=0", "limit must be a whole number from 1 to 10000")]
    [InlineData("/api/v1/records?limit=10001", "limit must be")]
    [InlineData("/api/v1/records?limit=-1", "limit must be")]
    [InlineData("/api/v1/records?limit=1e3", "limit must be")]
    [InlineData("/api/v1/records?from=yesterday", "from 'yesterday' is not a time")]
    [InlineData("/api/v1/records?to=NaN", "to 'NaN' is not a time")]
    [InlineData("/api/v1/records?from=-5", "from '-5' is not a time")]
    [InlineData("/api/v1/records?from=1e300", "is not a time")]
    [InlineData("/api/v1/records?from=20&to=10", "from must be earlier than to")]
    [InlineData("/api/v1/records?from=10&to=10", "from must be earlier than to")]
    [InlineData("/api/v1/records?origin=", "origin must be a node name")]
    [InlineData("/api/v1/records?origin=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "origin must be a node name")]
    [InlineData("/api/v1/records?orgin=a", "unknown query parameter 'orgin'; accepted: origin, from, to, limit")]
    [InlineData("/api/v1/records?limit=1&limit=2", "query parameter 'limit' is given 2 times")]
    [InlineData("/api/v1/members?verbose=1", "unknown query parameter 'verbose': this endpoint takes none")]
    [InlineData("/api/v1/status?x", "unknown query parameter 'x'")]
    public async Task BadQueriesAre400WithAMessage(string path, string message)
    {
        var (status, json) = await Get(path);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(message, json.RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task UnknownPathsAre404AndOtherMethods405WithAMessage()
    {
        var (status, json) = await Get("/api/v2/members");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("no such endpoint: /api/v2/members", json.RootElement.GetProperty("error").GetString());

        using var post = await _http.PostAsync("/api/v1/members", new StringContent(""), Ct);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
        Assert.Contains("read-only", await post.Content.ReadAsStringAsync(Ct));

        using var delete = await _http.DeleteAsync("/api/v1/records", Ct);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, delete.StatusCode);
    }

    [Fact]
    public async Task RandomQueriesNeverGetA5xx()
    {
        var random = new Random(5);
        string[] names = ["origin", "from", "to", "limit", "x", "", "%00", "from%5B%5D"];
        const string alphabet = "0123456789-+.eE:TZ%az&=;/?#[]\u00e9 ";
        for (int i = 0; i < 300; i++)
        {
            var query = new StringBuilder();
            for (int p = random.Next(4); p > 0; p--)
            {
                query.Append(names[random.Next(names.Length)]).Append('=');
                for (int c = random.Next(24); c > 0; c--) query.Append(Uri.EscapeDataString(alphabet[random.Next(alphabet.Length)].ToString()));
                query.Append('&');
            }
            using var response = await _http.GetAsync("/api/v1/records?" + query, Ct);
            Assert.True((int)response.StatusCode is 200 or 400, $"{(int)response.StatusCode} for ?{query}");
            string body = await response.Content.ReadAsStringAsync(Ct);
            using var json = JsonDocument.Parse(body); // always JSON, even when refused
        }
    }

    [Fact]
    public async Task MalformedHttpIsRefusedAndTheServerKeepsServing()
    {
        byte[][] garbage =
        [
            "GARBAGE\r\n\r\n"u8.ToArray(),
            "GET /api/v1/members HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"u8.ToArray(),
            Encoding.ASCII.GetBytes("GET /api/v1/members HTTP/1.1\r\nHost: x\r\nX-Big: " + new string('a', 20_000) + "\r\n\r\n"),
            "GET /api/v1/records?from=\u0001 HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray(),
            [.. new Random(9).GetItems<byte>(Enumerable.Range(0, 256).Select(b => (byte)b).ToArray(), 4096)],
        ];
        foreach (var request in garbage)
        {
            using var client = new TcpClient();
            await client.ConnectAsync(_api!.BaseAddress!.Host.Trim('[', ']'), _api.BaseAddress.Port, Ct);
            var stream = client.GetStream();
            await stream.WriteAsync(request, Ct);
            var buffer = new byte[4096];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            int read;
            try { read = await stream.ReadAsync(buffer, timeout.Token); }
            catch (IOException) { read = 0; } // a reset is a refusal too
            string reply = Encoding.ASCII.GetString(buffer, 0, read);
            Assert.True(read == 0 || reply.StartsWith("HTTP/1.1 4", StringComparison.Ordinal), reply);
        }
        var (status, _) = await Get("/api/v1/members");
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task AFailureInsideTheAgentIs503WithTheReasonNot500()
    {
        _model.FailStatus = true;
        var (status, json) = await Get("/api/v1/status");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("disk I/O error", json.RootElement.GetProperty("error").GetString());
        _model.FailStatus = false;
        Assert.Equal(HttpStatusCode.OK, (await Get("/api/v1/status")).Status);
    }

    [Fact]
    public async Task AnAddressInUseIsAClearError()
    {
        var port = _api!.BaseAddress!.Port;
        var e = await Assert.ThrowsAsync<IOException>(() => AgentApi.StartAsync(new IPEndPoint(IPAddress.Loopback, port), _model, CancellationToken.None));
        Assert.Contains($"cannot serve the API on 127.0.0.1:{port}", e.Message);
    }

    private async Task<(HttpStatusCode Status, JsonDocument Json)> Get(string path)
    {
        using var response = await _http.GetAsync(path, Ct);
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)));
    }
}
