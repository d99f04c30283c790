using System.Text.Json;
using System.Text.RegularExpressions;

namespace Flowmesh.Agent.Tests.Hosting;

/// <summary>
/// Two real agents with one --name join a third on loopback (issue 15: six agents named after one host showed as one
/// member and nothing said why). The third must say so once, with both addresses, in its log, in /metrics and in
/// `flowmesh members`, while the second claimant keeps being refused.
/// </summary>
[Collection(nameof(AgentProcessCollection))]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class NameConflictAgentTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fmh-conflict-").FullName;
    private readonly List<AgentProcess> _agents = [];

    public void Dispose()
    {
        foreach (var agent in _agents) agent.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private AgentProcess Start(string name, string directory, params string[] extra)
    {
        var agent = AgentProcess.Start(name, Path.Combine(_directory, directory), extra);
        _agents.Add(agent);
        return agent;
    }

    [Fact]
    public void A_second_agent_with_a_members_name_is_logged_once_with_both_addresses_counted_and_shown_in_members()
    {
        var seed = Start("seed", "seed");
        // Both run with pc's bundle (issue 16: a copied bundle, or one name enrolled twice), so both are certified as pc.
        string[] enrolled = AgentProcess.EnrolledBy(Path.Combine(_directory, "seed"), "pc");
        var first = Start("pc", "pc1", ["--join", seed.Gossip, .. enrolled]);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        string Get(string path) => http.GetStringAsync(new Uri(seed.Api, path), TestContext.Current.CancellationToken).GetAwaiter().GetResult();
        AgentProcess.WaitUntil(() => Get("/api/v1/members").Contains("\"alive\"", StringComparison.Ordinal) && Members(Get("/api/v1/members")).Count == 2,
            TimeSpan.FromSeconds(30), () => Get("/api/v1/members"));

        var second = Start("pc", "pc2", ["--join", seed.Gossip, .. enrolled]);
        static int Lines(AgentProcess agent, string gossip) =>
            agent.Output.Split('\n').Count(l => l.Contains("name conflict", StringComparison.Ordinal) && l.Contains(gossip, StringComparison.Ordinal));
        AgentProcess.WaitUntil(() => Lines(seed, second.Gossip) >= 1, TimeSpan.FromSeconds(30), () => seed.Output);
        // Further claims (gossip, push-pulls, probes of the second agent) within the next seconds: still one line.
        Thread.Sleep(TimeSpan.FromSeconds(5));
        string line = seed.Output.Split('\n').Single(l => l.Contains("name conflict", StringComparison.Ordinal));
        Assert.Contains("'pc'", line, StringComparison.Ordinal);
        Assert.Contains(first.Gossip, line, StringComparison.Ordinal);
        Assert.Contains(second.Gossip, line, StringComparison.Ordinal);
        Assert.Contains("--name", line, StringComparison.Ordinal);

        string metrics = Get("/metrics");
        Assert.Matches(new Regex(@"^flowmesh_gossip_name_conflicts_total 1$", RegexOptions.Multiline), metrics);
        Assert.Matches(new Regex(@"^flowmesh_gossip_name_conflicts 1$", RegexOptions.Multiline), metrics);

        // members: the kept member, still alive, lists the refused address; the CLI table says what to do.
        var pc = Members(Get("/api/v1/members")).Single(m => m.GetProperty("name").GetString() == "pc");
        Assert.Equal(first.Gossip, pc.GetProperty("address").GetString());
        Assert.Equal("alive", pc.GetProperty("state").GetString());
        Assert.Equal([second.Gossip], pc.GetProperty("conflictingAddresses").EnumerateArray().Select(a => a.GetString()));
        // The API's Host check is wired into the real agent and counted in its /metrics too.
        using (var foreign = new HttpRequestMessage(HttpMethod.Get, new Uri(seed.Api, "/api/v1/members")))
        {
            foreign.Headers.Host = "rebind.example";
            using var refused = http.Send(foreign, TestContext.Current.CancellationToken);
            Assert.Equal(System.Net.HttpStatusCode.Forbidden, refused.StatusCode);
        }
        Assert.Matches(new Regex(@"^flowmesh_api_refused_total\{reason=""foreign_host""\} 1$", RegexOptions.Multiline), Get("/metrics"));

        var (_, tableOut, tableErr) = AgentProcess.Cli("members", "--agent", seed.Api.ToString(), "--format", "table");
        string table = tableOut + tableErr;
        Assert.Contains($"name conflict: 'pc' ({first.Gossip}) is also claimed from {second.Gossip}", table, StringComparison.Ordinal);
    }

    private static List<JsonElement> Members(string json) =>
        [.. JsonDocument.Parse(json).RootElement.GetProperty("members").EnumerateArray()];
}
