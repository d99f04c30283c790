using System.Net;
using System.Text.Json;
using Flowmesh.Agent.Api;
using Flowmesh.Agent.Drill;
using Flowmesh.Agent.Tests.Views;
using Flowmesh.Agent.ViewSources;
using Flowmesh.Core.Detections;
using Flowmesh.Core.Packets;
using Flowmesh.Core.Views;
using Flowmesh.Gossip;
using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Transport;

namespace Flowmesh.Agent.Tests.Api;

/// <summary>
/// The local API under the attacks of issue 15, over real HTTP on loopback: a DNS-rebinding page (a foreign Host
/// header), view requests that would build without bound, and drill-down floods and ::/0 queries. Each refusal must
/// be a 4xx with a JSON message; each allowed request still gets its answer.
/// </summary>
public sealed class HostileApiTests : IAsyncDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly List<AgentApi> _apis = [];
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(20) };
    private readonly string _directory = Directory.CreateTempSubdirectory("flowmesh-hostile-api-").FullName;
    private readonly List<FlowLog> _logs = [];

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        foreach (var api in _apis) await api.DisposeAsync();
        foreach (var log in _logs) log.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private readonly ApiRefusals _refusals = new();

    private async Task<Uri> Start(Action<Microsoft.AspNetCore.Builder.WebApplication>? mapMore = null, IReadOnlyCollection<string>? allowedHosts = null)
    {
        var api = await AgentApi.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), new FakeReadModel(), CancellationToken.None, mapMore, allowedHosts, _refusals);
        _apis.Add(api);
        return api.BaseAddress!;
    }

    private async Task<(HttpStatusCode Status, string Body)> Get(Uri baseAddress, string path, string? host = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseAddress, path));
        if (host is not null) request.Headers.Host = host;
        using var response = await _http.SendAsync(request, Ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    private static string ErrorOf(string body)
    {
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("error").GetString()!;
    }

    [Theory]
    [InlineData("/api/v1/members")]
    [InlineData("/api/v1/status")]
    [InlineData("/metrics")]
    [InlineData("/")]
    public async Task A_foreign_Host_as_a_DNS_rebinding_page_sends_it_gets_403_with_a_message_on_every_path(string path)
    {
        var api = await Start();
        int port = api.Port;
        var (status, body) = await Get(api, path, $"rebind.example:{port}");
        Assert.Equal(HttpStatusCode.Forbidden, status);
        string error = ErrorOf(body);
        Assert.Contains("rebind.example", error, StringComparison.Ordinal);
        Assert.Contains("--api-allow-host rebind.example", error, StringComparison.Ordinal);
        Assert.DoesNotContain("\"members\"", body, StringComparison.Ordinal);
        Assert.Equal(1, _refusals[ApiRefusal.ForeignHost]);
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("LOCALHOST.")]
    [InlineData("dashboard.localhost")]
    [InlineData("127.0.0.1")]
    [InlineData("[::1]")]
    [InlineData("10.77.0.1")]
    public async Task Loopback_names_and_IP_literals_are_answered(string host)
    {
        var api = await Start();
        var (status, _) = await Get(api, "/api/v1/members", $"{host}:{api.Port}");
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task A_name_given_with_api_allow_host_is_answered_and_others_still_are_not()
    {
        var api = await Start(allowedHosts: [HostCheck.Normalize("Flowmesh.Office.Lan")]);
        Assert.Equal(HttpStatusCode.OK, (await Get(api, "/api/v1/members", $"flowmesh.office.lan:{api.Port}")).Status);
        Assert.Equal(HttpStatusCode.OK, (await Get(api, "/api/v1/members", "FLOWMESH.office.lan.")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await Get(api, "/api/v1/members", "office.lan")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await Get(api, "/api/v1/members", "flowmesh.office.lan.evil.example")).Status);
    }

    [Theory]
    [InlineData("/api/v1/traffic?window=25h")]
    [InlineData("/api/v1/traffic?window=31d")]
    [InlineData("/api/v1/top?window=2d")]
    [InlineData("/api/v1/traffic?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:01Z")]
    public async Task A_window_longer_than_24_hours_is_refused_before_any_build(string path)
    {
        var source = new BlockingViewSource();
        var cache = new ViewCache(source);
        var api = await Start(app => ViewEndpoints.Map(app, cache, new DetectionRounds(cache, new DetectionEngine())));
        var (status, body) = await Get(api, path);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("24 hours", ErrorOf(body), StringComparison.Ordinal);
        Assert.Equal(0, source.Reads);
        Assert.Equal(HttpStatusCode.OK, (await Get(api, "/api/v1/traffic?window=24h")).Status);
    }

    [Fact]
    public async Task Distinct_windows_beyond_the_concurrent_build_cap_get_429_and_the_builds_in_progress_finish()
    {
        var source = new BlockingViewSource { Block = true };
        var cache = new ViewCache(source, new ViewCacheOptions { MaxConcurrentBuilds = 2, ApiBuildWait = TimeSpan.FromMilliseconds(300) });
        var api = await Start(app => ViewEndpoints.Map(app, cache, new DetectionRounds(cache, new DetectionEngine()), _refusals));
        // Two builds of distinct windows hang in the source (as two 24 h windows would take seconds).
        var first = Get(api, "/api/v1/traffic?window=1h");
        var second = Get(api, "/api/v1/traffic?window=2h");
        await WaitFor(() => source.Reads == 2, "two builds in progress");
        // A flood of further distinct windows (each one, before, forced a build of its own) is refused at once.
        var refused = 0;
        for (var i = 0; i < 10; i++)
        {
            var (status, body) = await Get(api, $"/api/v1/traffic?window={3 + i}h");
            Assert.Equal(HttpStatusCode.TooManyRequests, status);
            Assert.Contains("busy building", ErrorOf(body), StringComparison.Ordinal);
            refused++;
        }
        Assert.Equal(2, source.Reads); // none of them reached the store
        Assert.Equal(refused, cache.RefusedBuilds);
        Assert.Equal(refused, _refusals[ApiRefusal.ViewBusy]);
        source.Release();
        Assert.Equal(HttpStatusCode.OK, (await first).Status);
        Assert.Equal(HttpStatusCode.OK, (await second).Status);
        // The same window again is served from the cache; a new one builds now that slots are free.
        Assert.Equal(HttpStatusCode.OK, (await Get(api, "/api/v1/traffic?window=1h")).Status);
        Assert.Equal(HttpStatusCode.OK, (await Get(api, "/api/v1/traffic?window=5h")).Status);
        Assert.Equal(3, source.Reads);
    }

    [Theory]
    [InlineData("0.0.0.0/0")]
    [InlineData("10.0.0.0/7")]
    [InlineData("::/0")]
    [InlineData("fd00::/31")]
    [InlineData("::ffff:0:0/96")]
    [InlineData("::fffe:0:0/95")]
    public async Task A_drill_down_broader_than_the_cap_is_refused_before_any_member_is_asked(string address)
    {
        var streams = new CountingStreams();
        var api = await Start(app => FlowsEndpoint.Map(app, Drill(streams), () => Now));
        var (status, body) = await Get(api, $"/api/v1/flows?address={Uri.EscapeDataString(address)}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("too broad", ErrorOf(body), StringComparison.Ordinal);
        Assert.Equal(0, streams.Requests);
        Assert.Equal(HttpStatusCode.OK, (await Get(api, "/api/v1/flows?address=10.0.0.0%2F8")).Status);
        Assert.Equal(HttpStatusCode.OK, (await Get(api, "/api/v1/flows?address=fd00::%2F32")).Status);
    }

    [Theory]
    [InlineData("0.0.0.0", 96)]
    [InlineData("::", 0)]
    [InlineData("::fffe:0:0", 95)]
    public async Task A_member_asking_a_too_broad_drill_down_over_the_gossip_stream_gets_no_rows_and_is_counted(string network, int prefixLength)
    {
        // The API refuses these; a member holding the key could still send one directly, so each member refuses it too.
        var log = FlowLog.Open(Path.Combine(_directory, "served"));
        _logs.Add(log);
        var server = new FlowQueryServer(log);
        var query = new FlowQuery(Now - 60_000_000, Now, IpAddress128.Parse(network), prefixLength, null, null, 100);
        Assert.Null(await server.HandleAsync(new NodeId("insider"), FlowQueryCodec.EncodeRequest(query), Ct));
        Assert.Equal(1, server.Malformed);
        Assert.Equal(0, server.Served);
        var narrow = query with { Network = IpAddress128.Parse("10.0.0.0"), PrefixLength = 96 + 8 };
        Assert.NotNull(await server.HandleAsync(new NodeId("member"), FlowQueryCodec.EncodeRequest(narrow), Ct));
        Assert.Equal(1, server.Served);
    }

    [Fact]
    public async Task A_drill_down_flood_is_cut_to_the_burst_plus_the_rate_and_every_refusal_is_a_429()
    {
        var streams = new CountingStreams();
        var throttle = new DrillThrottle(concurrent: 2, perSecond: 1, burst: 5);
        var api = await Start(app => FlowsEndpoint.Map(app, Drill(streams), () => Now, throttle, _refusals));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int ok = 0, refused = 0;
        for (var i = 0; i < 40; i++)
        {
            var (status, body) = await Get(api, "/api/v1/flows?address=10.0.3.7");
            if (status == HttpStatusCode.OK) ok++;
            else
            {
                Assert.Equal(HttpStatusCode.TooManyRequests, status);
                Assert.Contains("drill-downs", ErrorOf(body), StringComparison.Ordinal);
                refused++;
            }
        }
        double allowed = 5 + clock.Elapsed.TotalSeconds * 1 + 1;
        Assert.True(ok >= 5 && ok <= allowed, $"{ok} drills started in {clock.Elapsed.TotalSeconds:0.0} s (burst 5 + 1/s)");
        Assert.Equal(40 - ok, refused);
        Assert.Equal(refused, throttle.Refused);
        Assert.Equal(refused, _refusals[ApiRefusal.DrillBusy]);
        // One peer asked per started drill (twice: a peer that refuses at once is asked again without host context, as an
        // agent from before it would need), none for a refused drill.
        Assert.Equal(2 * ok, streams.Requests);
    }

    [Fact]
    public async Task Drill_downs_beyond_the_concurrency_cap_are_refused_while_the_running_ones_answer()
    {
        var streams = new CountingStreams { Block = true };
        var throttle = new DrillThrottle(concurrent: 1, perSecond: 100, burst: 100);
        var api = await Start(app => FlowsEndpoint.Map(app, Drill(streams), () => Now, throttle));
        var running = Get(api, "/api/v1/flows?address=10.0.3.7");
        await WaitFor(() => streams.Requests == 1, "one drill asking the peer");
        var (status, body) = await Get(api, "/api/v1/flows?address=10.0.3.8");
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.Contains("already running", ErrorOf(body), StringComparison.Ordinal);
        streams.Release();
        Assert.Equal(HttpStatusCode.OK, (await running).Status);
        Assert.Equal(HttpStatusCode.OK, (await Get(api, "/api/v1/flows?address=10.0.3.8")).Status);
    }

    private static async Task WaitFor(Func<bool> condition, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"not within 10 s: {what}");
            await Task.Delay(10, Ct);
        }
    }

    private const long Epoch = 10_000_000;
    private static readonly long Now = (DateTimeOffset.UtcNow.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10 / Epoch * Epoch;

    private FlowDrill Drill(CountingStreams streams)
    {
        // "self" answers from an empty local log without the network; "peer" is asked over the (counting) stream.
        var log = FlowLog.Open(Path.Combine(_directory, $"flows{_logs.Count}"));
        _logs.Add(log);
        Member M(string name) => new(new NodeId(name), new GossipAddress(name + ":7946"), 1, Flowmesh.Gossip.Membership.MemberState.Alive, TimeSpan.Zero);
        IReadOnlyList<Member> members = [M("self"), M("peer")];
        return new FlowDrill(new NodeId("self"), new FlowQueryServer(log), () => members, streams);
    }

    /// <summary>Counts requests to peers; while <see cref="Block"/> they wait for <see cref="Release"/>. Answers "no reply".</summary>
    private sealed class CountingStreams : IGossipStreams
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _requests;

        public bool Block { get; init; }
        public int Requests => Volatile.Read(ref _requests);
        public void Release() => _released.TrySetResult();

        public async Task<byte[]?> RequestAsync(GossipAddress to, GossipStreamKind kind, ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _requests);
            if (Block) await _released.Task.WaitAsync(cancellationToken);
            return null;
        }
    }

    /// <summary>No records; while <see cref="Block"/> each read waits for <see cref="Release"/> (a slow build).</summary>
    private sealed class BlockingViewSource : IViewSource
    {
        private readonly ManualResetEventSlim _released = new();
        private int _reads;

        public bool Block { get; init; }
        public int Reads => Volatile.Read(ref _reads);
        public void Release() => _released.Set();

        public long NowMicros => Now;
        public TimeSpan EpochLength => TimeSpan.FromSeconds(10);
        public IReadOnlyList<ExpectedOrigin> ExpectedOrigins() => [];

        public IReadOnlyList<Core.Epochs.EpochRecord> RecordsOverlapping(long fromMicros, long toMicros)
        {
            Interlocked.Increment(ref _reads);
            if (Block) _released.Wait(TimeSpan.FromSeconds(30));
            return [];
        }
    }
}
