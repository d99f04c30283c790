using System.Net;
using System.Text.Json;
using Flowmesh.Agent.Api;
using Flowmesh.Agent.Cli;
using Flowmesh.Agent.Output;
using Flowmesh.Agent.Tests.Api;
using Flowmesh.Agent.ViewSources;
using Flowmesh.Core.Detections;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Flows;
using Flowmesh.Core.HostContext;
using Flowmesh.Core.Packets;
using Flowmesh.Core.Views;
using static Flowmesh.Agent.Tests.Views.ViewTestTraffic;

namespace Flowmesh.Agent.Tests.Views;

/// <summary>
/// /api/v1/programs, /domains and /rtt over real HTTP on loopback, from records with host context whose truth is
/// computed here; and the CLI's table for each (bounds and the coverage line).
/// </summary>
public sealed class HostContextApiTests : IAsyncLifetime
{
    private const long Now = T0 + 55 * Second;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly Dictionary<string, long> _bytes = [];
    private readonly List<ulong> _rtt = [];
    private int _queries, _nxdomain;
    private AgentApi? _api;

    public async ValueTask InitializeAsync()
    {
        var records = new List<EpochRecord>();
        for (int e = 0; e < 5; e++)
        {
            long start = T0 + e * 10 * Second;
            var summary = new EpochSummary(new EpochId("pc-17", start, 10 * Second), Key);
            for (int i = 0; i < 40; i++)
            {
                string program = i % 4 == 0 ? "curl" : "nmap";
                var remote = IpAddress128.Parse($"198.51.100.{1 + i}");
                long bytes = program == "nmap" ? 60 : 5_000 + 100 * i;
                int rtt = 20_000 + 250 * i;
                summary.Add(new FlowTableDelta(IpProtocol.Tcp, IpAddress128.Parse("10.0.0.17"), (ushort)(40000 + i), remote, 443, 1, bytes, 0, 0, true, start, start + Second)
                {
                    Context = new FlowHostContext { Process = new ProcessIdentity(program == "nmap" ? 4242 : 99, program, AttributionSource.KernelSocketHook), Tcp = new TcpPathStats(rtt, rtt, rtt, 0) },
                });
                _bytes[program] = _bytes.GetValueOrDefault(program) + bytes;
                _rtt.Add((ulong)rtt);
            }
            for (int i = 0; i < 20; i++)
            {
                int rcode = i % 5 == 0 ? 3 : 0;
                summary.AddDns(new DnsObservation(start + i, IpAddress128.Parse("10.0.0.17"), IpAddress128.Parse("10.0.0.53"), IpProtocol.Udp, (ushort)i,
                    i % 2 == 0 ? "updates.example.com" : "mail.example.com", 1, rcode, 1_000 + i, []));
                _queries++;
                if (rcode == 3) _nxdomain++;
            }
            records.Add(summary.Seal());
        }
        var cache = new ViewCache(new FakeViewSource(records, [new ExpectedOrigin("pc-17", OriginLiveness.Alive)], Now));
        _api = await AgentApi.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), new FakeReadModel(), CancellationToken.None,
            app => ViewEndpoints.Map(app, cache, new DetectionRounds(cache, new DetectionEngine())));
        _http.BaseAddress = _api.BaseAddress;
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (_api is not null) await _api.DisposeAsync();
    }

    private async Task<string> Get(string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await _http.GetAsync(path, Ct);
        string body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == expected, $"{path} -> {(int)response.StatusCode}: {body}");
        return body;
    }

    [Fact]
    public async Task ProgramsAreRankedByBytesAndByDestinationsWithTheirTruth()
    {
        var byBytes = JsonSerializer.Deserialize(await Get("/api/v1/programs?window=1m"), ApiJsonContext.Default.ProgramsResponse)!;
        Assert.Equal("bytes", byBytes.By);
        Assert.Equal(["curl", "nmap"], byBytes.Entries.Select(e => e.Program));
        foreach (var e in byBytes.Entries) Assert.Equal(_bytes[e.Program], e.Value.Value);
        var byDestinations = JsonSerializer.Deserialize(await Get("/api/v1/programs?window=1m&by=destinations&limit=1"), ApiJsonContext.Default.ProgramsResponse)!;
        var nmap = Assert.Single(byDestinations.Entries);
        Assert.Equal(("nmap", "pc-17", 4242), (nmap.Program, nmap.Origin, nmap.Pid));
        Assert.Null(nmap.User); // users are local by default
        Assert.InRange(30, nmap.Value.Lower, nmap.Value.Upper); // 30 distinct remotes
        var table = new StringWriter();
        HostContextOutput.Programs(table, TextWriter.Null, OutputFormat.Table, byDestinations);
        Assert.Contains("nmap", table.ToString());
        Assert.Contains("pc-17 (pid 4242)", table.ToString());
        Assert.Contains("coverage: 1 of 1 origins", table.ToString());
        await Get("/api/v1/programs?by=packets", HttpStatusCode.BadRequest);
        await Get("/api/v1/programs?limit=0", HttpStatusCode.BadRequest);
        await Get("/api/v1/programs?what=x", HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task DomainsCarryExactCountersAndTheErrorRate()
    {
        var domains = JsonSerializer.Deserialize(await Get("/api/v1/domains?window=1m"), ApiJsonContext.Default.DomainsResponse)!;
        Assert.Equal(_queries, domains.Queries);
        Assert.Equal((double)_nxdomain / _queries, domains.ErrorRate, 12);
        Assert.Equal(_nxdomain, domains.Rcodes["3"]);
        Assert.Equal(["mail.example.com", "updates.example.com"], domains.Entries.Select(e => e.Name).Order());
        Assert.All(domains.Entries, e => Assert.Equal(_queries / 2, e.Queries.Value));
        var table = new StringWriter();
        HostContextOutput.Domains(table, TextWriter.Null, OutputFormat.Table, domains);
        Assert.Contains("error rate 20 %", table.ToString());
    }

    [Fact]
    public async Task RttQuantilesHoldTheExactOnes()
    {
        var rtt = JsonSerializer.Deserialize(await Get("/api/v1/rtt?window=1m"), ApiJsonContext.Default.RttResponse)!;
        var subnet = Assert.Single(rtt.Subnets);
        Assert.Equal("198.51.100.0/24", subnet.Subnet);
        Assert.Equal(_rtt.Count, subnet.Samples);
        var sorted = _rtt.Order().ToArray();
        foreach (var q in subnet.Quantiles)
            Assert.InRange(sorted[(int)Math.Floor(q.Q * (sorted.Length - 1))], q.Micros.Lower, q.Micros.Upper);
        Assert.Equal(sorted[0], subnet.MinMicros);
        var csv = new StringWriter();
        HostContextOutput.Rtt(csv, TextWriter.Null, OutputFormat.Csv, rtt);
        Assert.StartsWith("subnet,samples,min_us,max_us,q,value_us,error_us,lower_us,upper_us", csv.ToString());
        await Get("/api/v1/rtt?limit=65", HttpStatusCode.BadRequest);
    }
}
