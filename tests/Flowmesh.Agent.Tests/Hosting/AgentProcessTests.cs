using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Flowmesh.Agent.Tests.Hosting;

/// <summary>
/// `flowmesh agent` and `flowmesh members` as real processes on loopback: joining, the members CLI against a live
/// agent, a clean SIGTERM (leave, exit 0), restarts (same identity, higher incarnation), start failures.
/// </summary>
[Collection(nameof(AgentProcessCollection))]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class AgentProcessTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fmh-agent-").FullName;
    private readonly List<AgentProcess> _agents = [];

    [Fact]
    public void MembersCliShowsBothAgentsOfAClusterAlive()
    {
        var (a, b) = StartPair();
        var csv = Poll(() => AgentProcess.Cli("members", "--agent", a.Api.ToString(), "--format", "csv"),
            r => r.Output.Contains("\nb,", StringComparison.Ordinal) && r.Output.Contains(",alive,", StringComparison.Ordinal) && !r.Output.Contains("suspect", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30));
        Assert.Equal(0, csv.Code);
        var rows = csv.Output.Trim().Split('\n');
        Assert.Equal("name,address,state,incarnation,since_seconds,self,clock_offset_seconds", rows[0]);
        Assert.StartsWith($"a,{a.Gossip},alive,", rows[1]);
        // Self, and its own clock against the cluster's (always known: 0 while alone), in seconds.
        Assert.Matches(@",true,-?\d+(\.\d+)?$", rows[1]);
        Assert.StartsWith($"b,{b.Gossip},alive,", rows[2]);

        var table = AgentProcess.Cli("members", "--agent", b.Api.ToString(), "--format", "table");
        Assert.Contains("b (self)", table.Output);
        Assert.Contains("2 members: 2 alive", table.Output);

        var json = AgentProcess.Cli("members", "--agent", b.Api.ToString().TrimEnd('/'), "--format", "json");
        using var document = JsonDocument.Parse(json.Output);
        Assert.Equal("b", document.RootElement.GetProperty("self").GetString());
        Assert.Equal(["a", "b"], document.RootElement.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("name").GetString()).Order());

        // The key is in a file only: never in what the agents print.
        string key = File.ReadAllText(Path.Combine(_directory, "a", "cluster.key")).Trim();
        Assert.DoesNotContain(key, a.Output + b.Output);
        Assert.Contains("created a new cluster key in", a.Output);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_directory, "a", "cluster.key")));
    }

    [Fact]
    public void TheCliCarriesTheApiTokenThatDrillDownNeeds()
    {
        var (a, _) = StartPair();
        string tokenFile = Path.Combine(_directory, "a", "api.token");
        string token = File.ReadAllText(tokenFile).Trim();
        Assert.Contains("created the API token in", a.Output);
        Assert.DoesNotContain(token, a.Output); // in the file only, never in what the agent prints

        // Without the token (or with another agent's) drill-down is refused, and the message says what to do.
        var refused = AgentProcess.Cli("drill", "10.0.0.1", "--agent", a.Api.ToString(), "--token-file", Path.Combine(_directory, "b", "api.token"));
        Assert.Equal(3, refused.Code);
        Assert.Contains("401", refused.Error);
        Assert.Contains("API token", refused.Error);
        var allowed = AgentProcess.Cli("drill", "10.0.0.1", "--agent", a.Api.ToString(), "--token-file", tokenFile, "--format", "json");
        Assert.True(allowed.Code == 0, allowed.Error);

        // `flowmesh dashboard` hands the browser the token in the fragment, which never reaches a server.
        var dashboard = AgentProcess.Cli("dashboard", "--agent", a.Api.ToString(), "--token-file", tokenFile);
        Assert.Equal($"{a.Api}#token={token}", dashboard.Output.Trim());
        Assert.Equal(1, AgentProcess.Cli("dashboard", "--token-file", Path.Combine(_directory, "missing.token")).Code);
    }

    [Fact]
    public void MembersWithoutAnAgentSaysSoAndExits3()
    {
        int port = FreePort();
        var result = AgentProcess.Cli("members", "--agent", $"http://127.0.0.1:{port}");
        Assert.Equal(3, result.Code);
        Assert.Contains($"no agent answers at http://127.0.0.1:{port}/", result.Error);
        Assert.Contains("--agent URL", result.Error);
        Assert.Equal("", result.Output);

        var usage = AgentProcess.Cli("members", "--agent", "ftp://x");
        Assert.Equal(2, usage.Code);
        Assert.Contains("is not an agent URL", usage.Error);
    }

    [Fact]
    public void SigtermLeavesTheClusterAndExitsZero()
    {
        var (a, b) = StartPair();
        AgentProcess.WaitUntil(() => StateOf(a, "b") == "alive", TimeSpan.FromSeconds(30), () => a.Output);
        var clock = Stopwatch.StartNew();
        b.Terminate();
        Assert.Equal(0, b.WaitForExit(TimeSpan.FromSeconds(20)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"stopping took {clock.Elapsed}");
        Assert.Contains("SIGTERM: leaving the cluster", b.Output);
        Assert.Contains("left the cluster", b.Output);
        // The peer heard the goodbye: "left", not suspected and then "dead".
        Assert.Equal("left", StateOf(a, "b"));
    }

    [Fact]
    public void ASecondSignalDuringTheStopForcesAnImmediateExit()
    {
        var agent = Track(AgentProcess.Start("f", Path.Combine(_directory, "f")));
        agent.Signal("INT");
        Thread.Sleep(200); // the leave keeps gossiping for a second (LeavePropagateTime): the stop is still running
        agent.Signal("INT");
        Assert.Equal(130, agent.WaitForExit(TimeSpan.FromSeconds(20)));
        Assert.Contains("second signal: exiting now", agent.Output);
    }

    [Fact]
    public void ARepeatedSigtermDoesNotForceTheStop()
    {
        var agent = Track(AgentProcess.Start("t", Path.Combine(_directory, "t")));
        agent.Terminate();
        Thread.Sleep(200);
        agent.Terminate();
        Assert.Equal(0, agent.WaitForExit(TimeSpan.FromSeconds(20)));
        Assert.Contains("SIGTERM again: already stopping cleanly", agent.Output);
        Assert.Contains("left the cluster", agent.Output);
    }

    [Fact]
    public void ARestartKeepsTheIdentityAndRaisesTheIncarnation()
    {
        string data = Path.Combine(_directory, "r");
        var first = Track(AgentProcess.Start("r", data));
        string fingerprint = first.Fingerprint;
        uint incarnation = first.Incarnation;
        first.Terminate();
        Assert.Equal(0, first.WaitForExit(TimeSpan.FromSeconds(20)));

        var second = Track(AgentProcess.Start("r", data));
        Assert.Equal(fingerprint, second.Fingerprint);
        Assert.True(second.Incarnation > incarnation, $"incarnation {second.Incarnation} after {incarnation}");
        using var status = JsonDocument.Parse(Get(second.Api, "api/v1/status"));
        Assert.Equal(second.Incarnation, status.RootElement.GetProperty("incarnation").GetUInt32());
        Assert.Equal("r", status.RootElement.GetProperty("name").GetString());
    }

    [Fact]
    public void AKilledAgentRestartedWithoutJoinRejoinsThePeersOfItsSnapshot()
    {
        // The same gossip port on both runs, as a real agent has (7946): a new address for the same name would be a
        // name conflict for the peers until the old entry is reaped.
        string bind = $"127.0.0.1:{FreePort()}";
        var a = Track(AgentProcess.Start("a", Path.Combine(_directory, "a")));
        string[] bOptions = ["--bind", bind, .. AgentProcess.EnrolledBy(Path.Combine(_directory, "a"), "b")];
        var b = Track(AgentProcess.Start("b", Path.Combine(_directory, "b"), [.. bOptions, "--join", a.Gossip]));
        AgentProcess.WaitUntil(() => StateOf(a, "b") == "alive" && StateOf(b, "a") == "alive", TimeSpan.FromSeconds(30), () => a.Output + "\n" + b.Output);
        Thread.Sleep(3500); // the snapshot is saved within 2 s of a membership change
        uint before = b.Incarnation;
        b.Signal("KILL");
        b.WaitForExit(TimeSpan.FromSeconds(10));

        var again = Track(AgentProcess.Start("b", Path.Combine(_directory, "b"), bOptions));
        Assert.Contains("rejoining 1 peers from the last membership snapshot", again.Output);
        Assert.True(again.Incarnation > before);
        AgentProcess.WaitUntil(() => StateOf(again, "a") == "alive", TimeSpan.FromSeconds(30), () => again.Output);
        AgentProcess.WaitUntil(() => MemberIncarnation(a, "b") >= again.Incarnation && StateOf(a, "b") == "alive", TimeSpan.FromSeconds(30),
            () => Get(a.Api, "api/v1/members") + "\n" + a.Output);
    }

    [Fact]
    public void StartFailuresExitWithCode4AndSayWhy()
    {
        string data = Path.Combine(_directory, "busy");
        var running = Track(AgentProcess.Start("busy", data));
        var second = Track(AgentProcess.StartRaw(["agent", "--name", "busy2", "--data-dir", data, "--bind", "127.0.0.1:0", "--api", "127.0.0.1:0", "--capture", "none", "--no-discovery"], waitForStart: false));
        Assert.Equal(4, second.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Contains(data, second.Output);

        var missingKey = Track(AgentProcess.StartRaw(["agent", "--data-dir", Path.Combine(_directory, "k"), "--key-file", Path.Combine(_directory, "none.key"),
            "--bind", "127.0.0.1:0", "--api", "127.0.0.1:0", "--capture", "none", "--no-discovery"], waitForStart: false));
        Assert.Equal(4, missingKey.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Contains("none.key' does not exist", missingKey.Output);

        var apiTaken = Track(AgentProcess.StartRaw(["agent", "--data-dir", Path.Combine(_directory, "p"), "--bind", "127.0.0.1:0",
            "--api", $"127.0.0.1:{running.Api.Port}", "--capture", "none", "--no-discovery"], waitForStart: false));
        Assert.Equal(4, apiTaken.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Contains($"cannot serve the API on 127.0.0.1:{running.Api.Port}", apiTaken.Output);

        var usage = Track(AgentProcess.StartRaw(["agent", "--epoch", "forever"], waitForStart: false));
        Assert.Equal(2, usage.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Contains("--epoch 'forever' is not a positive duration", usage.Output);
        Assert.False(running.HasExited);
    }

    private (AgentProcess A, AgentProcess B) StartPair()
    {
        var a = Track(AgentProcess.Start("a", Path.Combine(_directory, "a")));
        var b = Track(AgentProcess.Start("b", Path.Combine(_directory, "b"), ["--join", a.Gossip, .. AgentProcess.EnrolledBy(Path.Combine(_directory, "a"), "b")]));
        return (a, b);
    }

    private AgentProcess Track(AgentProcess agent)
    {
        _agents.Add(agent);
        return agent;
    }

    private static string StateOf(AgentProcess agent, string name)
    {
        using var json = JsonDocument.Parse(Get(agent.Api, "api/v1/members"));
        return json.RootElement.GetProperty("members").EnumerateArray()
            .Where(m => m.GetProperty("name").GetString() == name)
            .Select(m => m.GetProperty("state").GetString()!)
            .FirstOrDefault() ?? "absent";
    }

    private static long MemberIncarnation(AgentProcess agent, string name)
    {
        using var json = JsonDocument.Parse(Get(agent.Api, "api/v1/members"));
        return json.RootElement.GetProperty("members").EnumerateArray()
            .Where(m => m.GetProperty("name").GetString() == name)
            .Select(m => m.GetProperty("incarnation").GetInt64())
            .DefaultIfEmpty(-1).First();
    }

    private static string Get(Uri api, string path)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        return http.GetStringAsync(new Uri(api, path), TestContext.Current.CancellationToken).GetAwaiter().GetResult();
    }

    private static T Poll<T>(Func<T> probe, Func<T, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var value = probe();
            if (done(value) || DateTime.UtcNow > deadline) return value;
            Thread.Sleep(250);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        foreach (var agent in _agents) agent.Dispose();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Agent processes start a runtime each: run these tests one at a time, not beside each other.</summary>
[CollectionDefinition(nameof(AgentProcessCollection), DisableParallelization = true)]
public sealed class AgentProcessCollection;
