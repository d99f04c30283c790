using System.Net;
using System.Net.Http.Headers;
using Flowmesh.Agent.Api;
using Flowmesh.Agent.Cli;
using Flowmesh.Agent.Drill;
using Flowmesh.Agent.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Flowmesh.Agent.Tests.Api;

/// <summary>
/// The per-install API token (issue 15): the file the agent creates, and the attack it stops. A local process (or a
/// rebinding page that got past the Host check) without the token cannot drill into every PC's exact flows; beyond
/// loopback, a host on the LAN without it gets nothing at all. The dashboard's files still load.
/// </summary>
public sealed class ApiTokenTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fm-token-").FullName;
    private readonly List<AgentApi> _apis = [];
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly ApiRefusals _refusals = new();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        foreach (var api in _apis) await api.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void TheFileIsCreatedOnceReadableByOwnerAndGroupOnly()
    {
        string path = Path.Combine(_directory, ApiToken.FileName);
        var first = ApiToken.LoadOrCreate(path, out bool created);
        Assert.True(created);
        Assert.Matches("^[0-9a-f]{32}$", first.Value);
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(path));
        var again = ApiToken.LoadOrCreate(path, out created);
        Assert.False(created);
        Assert.Equal(first.Value, again.Value);
        Assert.NotEqual(first.Value, ApiToken.LoadOrCreate(Path.Combine(_directory, "other.token"), out _).Value);

        File.WriteAllText(path, "not a token\n");
        Assert.Contains("holds no API token", Assert.Throws<IOException>(() => ApiToken.LoadOrCreate(path, out _)).Message);
        Assert.Null(ApiToken.TryRead(path, out string? error));
        Assert.Contains("holds no API token", error);
        Assert.Null(ApiToken.TryRead(Path.Combine(_directory, "missing"), out error));
        Assert.NotNull(error);
    }

    [Fact]
    public void OnlyTheExactTokenMatches()
    {
        var token = ApiToken.LoadOrCreate(Path.Combine(_directory, ApiToken.FileName), out _);
        Assert.True(token.Matches(token.Header));
        Assert.True(token.Matches("bearer " + token.Value));
        Assert.False(token.Matches(null));
        Assert.False(token.Matches(""));
        Assert.False(token.Matches(token.Value));
        Assert.False(token.Matches("Bearer " + token.Value[..^1] + (token.Value[^1] == 'a' ? 'b' : 'a')));
        Assert.False(token.Matches("Bearer " + token.Value + "0"));
        Assert.False(token.Matches("Basic " + token.Value));
    }

    [Fact]
    public void TheCliSendsThisPcsTokenToThisPcsAgentOnly()
    {
        var token = ApiToken.LoadOrCreate(Path.Combine(_directory, ApiToken.FileName), out _);
        var local = AgentApiClient.Create(new Uri("http://127.0.0.1:7947/"), TimeSpan.FromSeconds(1), null, _directory, out _);
        Assert.Equal(token.Value, local!.Token?.Value);
        Assert.Equal(token.Value, AgentApiClient.Create(new Uri("http://[::1]:7947/"), TimeSpan.FromSeconds(1), null, _directory, out _)!.Token?.Value);
        // Another host gets no token unless one is given for it: this PC's would open this PC's API to whoever answers there.
        Assert.Null(AgentApiClient.Create(new Uri("http://192.0.2.7:7947/"), TimeSpan.FromSeconds(1), null, _directory, out _)!.Token);
        Assert.Null(AgentApiClient.Create(new Uri("http://agent.example:7947/"), TimeSpan.FromSeconds(1), null, _directory, out _)!.Token);
        string other = Path.Combine(_directory, "other.token");
        var given = ApiToken.LoadOrCreate(other, out _);
        Assert.Equal(given.Value, AgentApiClient.Create(new Uri("http://192.0.2.7:7947/"), TimeSpan.FromSeconds(1), other, _directory, out _)!.Token?.Value);
    }

    private async Task<(Uri Address, ApiToken Token)> Start(IPAddress bind)
    {
        var token = ApiToken.LoadOrCreate(Path.Combine(_directory, ApiToken.FileName), out _);
        // Drill-down stands in as an endpoint that answers 200: what matters is whether the request reaches it.
        var api = await AgentApi.StartAsync(new IPEndPoint(bind, 0), new FakeReadModel(), Ct,
            app => app.MapGet(FlowsEndpoint.Path, (HttpContext c) => Results.Text("{}", "application/json")), null, _refusals, token);
        _apis.Add(api);
        return (api.BaseAddress!, token);
    }

    private async Task<(HttpStatusCode Status, string Body, string? Challenge)> Get(Uri address, string path, string? authorization = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(address, path));
        if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
        using var response = await _http.SendAsync(request, Ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct), response.Headers.WwwAuthenticate.FirstOrDefault()?.Scheme);
    }

    [Fact]
    public async Task OnLoopbackDrillDownNeedsTheTokenAndTheRestDoesNot()
    {
        var (address, token) = await Start(IPAddress.Loopback);
        var refused = await Get(address, FlowsEndpoint.Path + "?address=10.0.0.1");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
        Assert.Equal("Bearer", refused.Challenge);
        Assert.Contains("API token", System.Text.Json.JsonDocument.Parse(refused.Body).RootElement.GetProperty("error").GetString());
        Assert.DoesNotContain(token.Value, refused.Body);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Get(address, FlowsEndpoint.Path, "Bearer 00000000000000000000000000000000")).Status);
        Assert.Equal(2, _refusals[ApiRefusal.Token]);
        Assert.Equal(HttpStatusCode.OK, (await Get(address, FlowsEndpoint.Path, token.Header)).Status);
        Assert.Equal(HttpStatusCode.OK, (await Get(address, "/api/v1/status")).Status);
        Assert.Equal(HttpStatusCode.OK, (await Get(address, "/metrics")).Status);
    }

    [Fact]
    public async Task BeyondLoopbackEveryDataPathNeedsTheTokenButThePageLoads()
    {
        // A wildcard bind answers the whole LAN; reached here over loopback, it must still want the token.
        var (wildcard, token) = await Start(IPAddress.Any);
        var address = new Uri($"http://127.0.0.1:{wildcard.Port}/");
        foreach (string path in new[] { "/api/v1/status", "/api/v1/members", "/api/v1/records", "/metrics", FlowsEndpoint.Path })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await Get(address, path)).Status);
            Assert.NotEqual(HttpStatusCode.Unauthorized, (await Get(address, path, token.Header)).Status);
        }
        Assert.Equal(HttpStatusCode.OK, (await Get(address, "/")).Status);
    }
}
