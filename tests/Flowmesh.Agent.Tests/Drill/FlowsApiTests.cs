using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Flowmesh.Agent.Api;
using Flowmesh.Agent.Drill;
using Flowmesh.Agent.Tests.Api;
using Flowmesh.Core.Packets;
using Flowmesh.Gossip;
using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Transport;

namespace Flowmesh.Agent.Tests.Drill;

/// <summary>
/// GET /api/v1/flows over real HTTP on loopback, with this node's flow log in a real SQLite file and two peers behind
/// an in-process stream: one answering from its own log (through the codec), one answering garbage. Also the real
/// `flowmesh drill` executable against it.
/// </summary>
public sealed class FlowsApiTests : IAsyncLifetime
{
    private const long Epoch = 10_000_000;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly long Now = (DateTimeOffset.UtcNow.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10 / Epoch * Epoch - Epoch;
    private readonly string _directory = Directory.CreateTempSubdirectory("flowmesh-flowsapi-test-").FullName;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(20) };
    private FlowLog? _self, _peer;
    private AgentApi? _api;
    private FlowDrill? _drill;

    private static FlowRow Row(string source, ushort sourcePort, string destination, ushort destinationPort, long bytesOut, long bytesIn, byte protocol = 6) =>
        new(Now, Epoch, protocol, IpAddress128.Parse(source), sourcePort, IpAddress128.Parse(destination), destinationPort,
            bytesOut, bytesOut / 100, bytesIn, bytesIn / 100, Now + 1_000, Now + 2_000) { TcpFlags = protocol == 6 ? (byte)0x13 : (byte)0 };

    public async ValueTask InitializeAsync()
    {
        _self = FlowLog.Open(Path.Combine(_directory, "self"));
        _self.Write([Row("10.0.3.7", 40000, "10.0.1.1", 443, 5000, 90_000), Row("10.0.9.9", 1, "10.0.9.8", 2, 1, 1)]);
        _peer = FlowLog.Open(Path.Combine(_directory, "peer"));
        _peer.Write([Row("10.0.3.7", 40000, "10.0.1.1", 443, 5000, 90_000), Row("10.0.3.7", 5353, "10.0.1.2", 53, 300, 0, protocol: 17)]);
        var streams = new InProcessStreams(new FlowQueryServer(_peer));
        Member M(string name) => new(new NodeId(name), new GossipAddress(name + ":7946"), 1, MemberState.Alive, TimeSpan.Zero);
        IReadOnlyList<Member> members = [M("self"), M("peer"), M("liar"), M("gone") with { State = MemberState.Left }];
        _drill = new FlowDrill(new NodeId("self"), new FlowQueryServer(_self), () => members, streams);
        _api = await AgentApi.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), new FakeReadModel(), CancellationToken.None,
            app => FlowsEndpoint.Map(app, _drill, () => Now + Epoch));
        _http.BaseAddress = _api.BaseAddress;
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (_api is not null) await _api.DisposeAsync();
        _self?.Dispose();
        _peer?.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>"peer" answers from its own log through the codec; "liar" answers bytes that are not a reply.</summary>
    private sealed class InProcessStreams(FlowQueryServer peer) : IGossipStreams
    {
        public async Task<byte[]?> RequestAsync(GossipAddress to, GossipStreamKind kind, ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
        {
            Assert.Equal(GossipStreamKind.FlowQuery, kind);
            return to.Value switch
            {
                "peer:7946" => await peer.HandleAsync(new NodeId("self"), request, cancellationToken),
                "liar:7946" => [1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x7F, 0xFF, 0xFF, 0xFF],
                _ => null,
            };
        }
    }

    private async Task<(HttpStatusCode Status, string Body)> Get(string pathAndQuery)
    {
        using var response = await _http.GetAsync(pathAndQuery, Ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task AnswersEveryObserversFlowsMergedLargestFirstAndNamesWhoFailed()
    {
        var (status, body) = await Get("/api/v1/flows?address=10.0.3.7&window=5m");
        Assert.Equal(HttpStatusCode.OK, status);
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        Assert.Equal(["address", "window", "flows", "truncated", "asked", "answered", "failed", "notAsked", "withoutFlowLog"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("10.0.3.7", root.GetProperty("address").GetString());
        Assert.Equal(["self", "peer", "liar"], root.GetProperty("asked").EnumerateArray().Select(e => e.GetString()));   // left members are not asked
        Assert.Equal(["self", "peer"], root.GetProperty("answered").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["liar"], root.GetProperty("failed").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["gone"], root.GetProperty("notAsked").EnumerateArray().Select(e => e.GetString()));
        var flows = root.GetProperty("flows").EnumerateArray().ToList();
        Assert.Equal(3, flows.Count);
        Assert.Equal(["peer", "self"], flows.Take(2).Select(f => f.GetProperty("origin").GetString()).Order(StringComparer.Ordinal));
        var first = flows[0];
        Assert.Equal(["origin", "protocol", "protocolNumber", "source", "sourcePort", "destination", "destinationPort", "bytesOut", "packetsOut",
            "bytesIn", "packetsIn", "first", "last", "firstMicros", "lastMicros", "tcpFlags"], first.EnumerateObject().Select(p => p.Name));
        Assert.Equal("FIN,SYN,ACK", first.GetProperty("tcpFlags").GetString());
        Assert.Equal(JsonValueKind.Null, flows[2].GetProperty("tcpFlags").ValueKind);
        Assert.Equal(("tcp", "10.0.3.7", 40000, "10.0.1.1", 443, 5000L, 50L, 90_000L, 900L, Now + 1_000),
            (first.GetProperty("protocol").GetString(), first.GetProperty("source").GetString(), first.GetProperty("sourcePort").GetInt32(),
             first.GetProperty("destination").GetString(), first.GetProperty("destinationPort").GetInt32(), first.GetProperty("bytesOut").GetInt64(),
             first.GetProperty("packetsOut").GetInt64(), first.GetProperty("bytesIn").GetInt64(), first.GetProperty("packetsIn").GetInt64(),
             first.GetProperty("firstMicros").GetInt64()));
        Assert.Equal(("udp", "peer", 300L), (flows[2].GetProperty("protocol").GetString(), flows[2].GetProperty("origin").GetString(), flows[2].GetProperty("bytesOut").GetInt64()));
        Assert.Equal(1, _drill!.BadReplies);

        using var narrowed = JsonDocument.Parse((await Get("/api/v1/flows?address=10.0.3.0/24&origin=peer&protocol=udp&port=53&limit=5")).Body);
        Assert.Equal(["peer"], narrowed.RootElement.GetProperty("asked").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("10.0.3.0/24", narrowed.RootElement.GetProperty("address").GetString());
        Assert.Single(narrowed.RootElement.GetProperty("flows").EnumerateArray());

        using var limited = JsonDocument.Parse((await Get("/api/v1/flows?address=10.0.3.7&limit=1")).Body);
        Assert.True(limited.RootElement.GetProperty("truncated").GetBoolean());
        Assert.Single(limited.RootElement.GetProperty("flows").EnumerateArray());
    }

    [Theory]
    [InlineData("")]
    [InlineData("?address=")]
    [InlineData("?address=10.0.3")]
    [InlineData("?address=10.0.3.7/33")]
    [InlineData("?address=fd00::/129")]
    [InlineData("?address=fe80::1%25eth0")]
    [InlineData("?address=10.0.3.7&window=5x")]
    [InlineData("?address=10.0.3.7&window=5m&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z")]
    [InlineData("?address=10.0.3.7&limit=1001")]
    [InlineData("?address=10.0.3.7&port=-1")]
    [InlineData("?address=10.0.3.7&protocol=256")]
    [InlineData("?address=10.0.3.7&orgin=peer")]
    [InlineData("?address=10.0.3.7&limit=1&limit=2")]
    public async Task BadQueriesAreA400WithAMessage(string query)
    {
        var (status, body) = await Get("/api/v1/flows" + query);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        using var json = JsonDocument.Parse(body);
        Assert.False(string.IsNullOrWhiteSpace(json.RootElement.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task AnUnknownOriginIsA404AndRandomQueriesNeverA5xx()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await Get("/api/v1/flows?address=10.0.3.7&origin=nobody")).Status);
        var random = new Random(20261124);
        string[] keys = ["address", "window", "from", "to", "origin", "port", "protocol", "limit", "x"];
        string[] values = ["10.0.3.7", "10.0.3.0/24", "::1", "5m", "0", "-1", "99999999999999999999", "tcp", "%00", "peer", "", "1/2", "2026-11-24T00:00:00Z", "fd00::/64"];
        for (int i = 0; i < 200; i++)
        {
            var parts = Enumerable.Range(0, random.Next(0, 5)).Select(_ => $"{keys[random.Next(keys.Length)]}={Uri.EscapeDataString(values[random.Next(values.Length)])}");
            var (status, _) = await Get("/api/v1/flows?" + string.Join('&', parts));
            Assert.True((int)status < 500, $"query {i} got {(int)status}");
        }
    }

    [Fact]
    public async Task TheDrillCommandPrintsTableCsvAndJsonAndRefusesBadInput()
    {
        string agent = _http.BaseAddress!.ToString();
        var csv = await Run("drill", "10.0.3.7", "--format", "csv", "--agent", agent);
        Assert.Equal(0, csv.Code);
        var lines = csv.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("origin,protocol,source,source_port,destination,destination_port,bytes_out,packets_out,bytes_in,packets_in,first,last,tcp_flags,pid,program,user,rtt_us,retransmits,dns_name", lines[0]);
        Assert.EndsWith(",\"FIN,SYN,ACK\",,,,,,", lines[1]); // no host context in these rows
        Assert.Equal(4, lines.Length);
        Assert.Contains("tcp,10.0.3.7,40000,10.0.1.1,443,5000,50,90000,900,", csv.Out);
        Assert.Contains("no answer from liar", csv.Err);
        Assert.Contains("not reachable (dead or left): gone", csv.Err);

        var table = await Run("drill", "10.0.3.7", "--protocol", "udp", "--format", "table", "--agent", agent);
        Assert.Equal(0, table.Code);
        Assert.Contains("10.0.3.7:5353", table.Out);
        Assert.Contains("1 flows of 10.0.3.7", table.Out);

        var json = await Run("drill", "10.0.3.7", "--origin", "self", "--format", "json", "--agent", agent);
        Assert.Equal(0, json.Code);
        using var doc = JsonDocument.Parse(json.Out);
        Assert.Equal(["self"], doc.RootElement.GetProperty("answered").EnumerateArray().Select(e => e.GetString()));

        Assert.Equal(2, (await Run("drill", "10.0.3", "--agent", agent)).Code);
        Assert.Equal(2, (await Run("drill", "10.0.3.7", "--limit", "0", "--agent", agent)).Code);
        Assert.Equal(2, (await Run("drill", "10.0.3.7", "--window", "soon", "--agent", agent)).Code);
    }

    private static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "flowmesh"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw;
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}
