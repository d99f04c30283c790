using System.Text.Json;

namespace Flowmesh.Agent.Tests.Hosting;

/// <summary>
/// `--zone` end to end: two capturing agents (libpcap on loopback, so root) with different labels; each names its
/// zone in /status and in every record, and `flowmesh zones` on either agent places both, one level at a time.
/// </summary>
[Collection(nameof(AgentProcessCollection))]
public sealed class AgentZoneTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fmh-zones-").FullName;
    private readonly List<AgentProcess> _agents = [];

    [Fact]
    public void Agents_name_their_zone_and_zones_places_them()
    {
        if (!Environment.IsPrivilegedProcess) Assert.Skip("needs root: the agents capture on loopback with libpcap");
        string[] capture = ["--capture", "pcap", "-i", "lo", "--epoch", "1s"];
        var a = Track(AgentProcess.Start("a", Path.Combine(_directory, "a"), [.. capture, "--zone", "lab-1"]));
        var b = Track(AgentProcess.Start("b", Path.Combine(_directory, "b"), [.. capture, "--zone", "lab-2/west", "--join", a.Gossip, .. AgentProcess.EnrolledBy(Path.Combine(_directory, "a"), "b")]));

        string zoneA = a.Status().GetProperty("zone").GetString()!;
        Assert.Matches(@"^lab-1/\d/\d/\d/\d$", zoneA); // the label, then hashed digits up to five levels
        Assert.Matches(@"^lab-2/west/\d/\d/\d$", b.Status().GetProperty("zone").GetString()!);

        JsonElement Zones(AgentProcess on, string parent)
        {
            var (code, output, error) = AgentProcess.Cli("zones", "--agent", on.Api.ToString(), "--parent", parent, "--window", "1m", "--format", "json");
            Assert.True(code == 0, error);
            return JsonDocument.Parse(output).RootElement.Clone();
        }
        AgentProcess.WaitUntil(() => Zones(a, "").GetProperty("zones").GetArrayLength() == 2, TimeSpan.FromSeconds(60),
            () => $"agent a does not place both agents: {Zones(a, "")}");
        var top = Zones(a, "").GetProperty("zones").EnumerateArray().ToList();
        Assert.Equal(["lab-1", "lab-2"], top.Select(z => z.GetProperty("zone").GetString()));
        Assert.Equal(["a"], top[0].GetProperty("members").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(1, top[1].GetProperty("reporting").GetInt32());
        Assert.Equal("lab-2/west", Assert.Single(Zones(b, "lab-2").GetProperty("zones").EnumerateArray()).GetProperty("zone").GetString());
        Assert.Equal(zoneA, Assert.Single(Zones(a, zoneA[..^2]).GetProperty("zones").EnumerateArray()).GetProperty("zone").GetString());

        // The table for people, and a label that is not a zone path refused before the agent starts.
        var table = AgentProcess.Cli("zones", "--agent", a.Api.ToString(), "--window", "1m", "--format", "table");
        Assert.Contains("lab-2", table.Output);
        Assert.Contains("zones below the top", table.Output);
        var bad = Track(AgentProcess.StartRaw(["agent", "--zone", "Lab 1", "--capture", "none"], waitForStart: false));
        Assert.Equal(2, bad.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Contains("--zone", bad.Output);
    }

    private AgentProcess Track(AgentProcess agent)
    {
        _agents.Add(agent);
        return agent;
    }

    public void Dispose()
    {
        foreach (var agent in _agents) agent.Dispose();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
