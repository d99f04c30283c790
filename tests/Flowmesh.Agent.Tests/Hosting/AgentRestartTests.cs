using System.Text.Json;

namespace Flowmesh.Agent.Tests.Hosting;

/// <summary>
/// Restarts of a capturing agent (libpcap on loopback, so root): sealed records survive with the same content, and a
/// restart within an epoch that a shutdown sealed early never produces a second, different record for that epoch.
/// </summary>
[Collection(nameof(AgentProcessCollection))]
public sealed class AgentRestartTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fmh-restart-").FullName;
    private readonly List<AgentProcess> _agents = [];

    [Fact]
    public void SealedRecordsSurviveARestartUnchangedAndEveryEpochIsSealed()
    {
        RequireRoot();
        string data = Path.Combine(_directory, "n");
        var first = Track(AgentProcess.Start("n", data, "--capture", "pcap", "-i", "lo", "--epoch", "1s"));
        AgentProcess.WaitUntil(() => Status(first).GetProperty("records").GetProperty("sealed").GetInt64() >= 4, TimeSpan.FromSeconds(30), () => first.Output);
        var before = Records(first);
        first.Terminate();
        Assert.Equal(0, first.WaitForExit(TimeSpan.FromSeconds(20)));

        var second = Track(AgentProcess.Start("n", data, "--capture", "pcap", "-i", "lo", "--epoch", "1s"));
        Assert.True(second.Incarnation > first.Incarnation);
        Assert.Equal(first.Fingerprint, second.Fingerprint);
        var after = Records(second);
        foreach (var (id, hash) in before)
            Assert.True(after.TryGetValue(id, out var kept) && kept == hash, $"record {id} lost or changed over the restart");
        // One record per epoch while running (empty epochs too): consecutive starts 1 s apart, no gaps.
        var starts = before.Keys.Select(k => k.Start).Order().ToList();
        Assert.All(starts.Zip(starts.Skip(1)), pair => Assert.Equal(1_000_000, pair.Second - pair.First));
        Assert.All(before.Keys, k => Assert.Equal(1_000_000, k.Length));
    }

    [Fact]
    public void ARestartWithinAnEpochSealedAtShutdownKeepsTheFirstRecordAndCountsTheSkip()
    {
        RequireRoot();
        // A one-hour epoch, so three runs fit in one epoch; stay clear of the boundary.
        long hour = 3_600_000_000;
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        if (hour - now % hour < 90_000_000) Thread.Sleep(TimeSpan.FromMicroseconds(hour - now % hour + 1_000_000));
        string data = Path.Combine(_directory, "q");
        string[] options = ["--capture", "pcap", "-i", "lo", "--epoch", "1h"];

        var first = Track(AgentProcess.Start("q", data, options));
        Thread.Sleep(1500);
        first.Terminate();
        Assert.Equal(0, first.WaitForExit(TimeSpan.FromSeconds(20))); // seals the partial hour

        var second = Track(AgentProcess.Start("q", data, options));
        var sealedAtShutdown = Assert.Single(Records(second));
        Thread.Sleep(1500);
        second.Terminate();
        Assert.Equal(0, second.WaitForExit(TimeSpan.FromSeconds(20)));
        Assert.Contains("was already sealed before a restart", second.Output);

        var third = Track(AgentProcess.Start("q", data, options));
        var kept = Assert.Single(Records(third));
        Assert.Equal(sealedAtShutdown, kept);
    }

    [Fact]
    public void TwoCapturingAgentsEndUpHoldingEachOthersRecordsByteForByte()
    {
        RequireRoot();
        string[] capture = ["--capture", "pcap", "-i", "lo", "--epoch", "1s"];
        var a = Track(AgentProcess.Start("a", Path.Combine(_directory, "a"), capture));
        var b = Track(AgentProcess.Start("b", Path.Combine(_directory, "b"), [.. capture, "--join", a.Gossip, "--key-file", Path.Combine(_directory, "a", "cluster.key")]));
        AgentProcess.WaitUntil(() => Records(b).Keys.Count(k => k.Origin == "a") >= 3 && Records(a).Keys.Count(k => k.Origin == "b") >= 3, TimeSpan.FromSeconds(40),
            () => a.Output + "\n" + b.Output);
        var atA = Records(a);
        var atB = Records(b);
        // Every record both hold has the same content hash on both: one writer, immutable records.
        foreach (var (id, hash) in atA.Where(r => atB.ContainsKey(r.Key)))
            Assert.Equal(hash, atB[id]);
        var status = Status(b);
        Assert.True(status.GetProperty("gossip").GetProperty("recordsReceived").GetInt64() >= 3);
        Assert.Equal(0, status.GetProperty("gossip").GetProperty("recordsRejected").GetInt64());
    }

    private static void RequireRoot()
    {
        if (!Environment.IsPrivilegedProcess) Assert.Skip("needs root: the agent captures on loopback with libpcap");
    }

    private AgentProcess Track(AgentProcess agent)
    {
        _agents.Add(agent);
        return agent;
    }

    private static JsonElement Status(AgentProcess agent) => agent.Status();

    private static Dictionary<(string Origin, long Start, long Length), string> Records(AgentProcess agent) => agent.Records();

    public void Dispose()
    {
        foreach (var agent in _agents) agent.Dispose();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
