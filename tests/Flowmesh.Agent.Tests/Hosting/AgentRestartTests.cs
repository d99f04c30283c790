using System.Text.Json;

namespace Flowmesh.Agent.Tests.Hosting;

/// <summary>
/// Restarts of a capturing agent (libpcap, so root): sealed records survive with the same content, and a restart
/// within an epoch records the rest of it under an interval of its own (the shutdown sealed only what it watched), so
/// no record is refused as already stored and no traffic is lost.
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
    public void RestartsWithinAnEpochSplitItIntoRecordsThatFollowEachOtherWithoutOverlapOrSkip()
    {
        RequireRoot();
        // A one-hour epoch, so three runs fit in one epoch; stay clear of the boundary.
        long hour = 3_600_000_000;
        WaitUntilAtLeastLeftOfEpoch(hour, 90_000_000);
        string data = Path.Combine(_directory, "q");
        string[] options = ["--capture", "pcap", "-i", "lo", "--epoch", "1h"];

        var first = Track(AgentProcess.Start("q", data, options));
        Thread.Sleep(1500);
        first.Terminate();
        Assert.Equal(0, first.WaitForExit(TimeSpan.FromSeconds(20))); // seals [hour start, stop)

        var second = Track(AgentProcess.Start("q", data, options));
        var sealedAtShutdown = Assert.Single(Records(second));
        Assert.Equal(0, sealedAtShutdown.Key.Start % hour);
        Assert.True(sealedAtShutdown.Key.Length < hour, $"the shutdown sealed the whole hour: {sealedAtShutdown.Key}");
        Thread.Sleep(1500);
        second.Terminate();
        Assert.Equal(0, second.WaitForExit(TimeSpan.FromSeconds(20)));
        Assert.DoesNotContain("already stored", second.Output, StringComparison.Ordinal);

        var third = Track(AgentProcess.Start("q", data, options));
        var held = Records(third).OrderBy(r => r.Key.Start).ToList();
        Assert.Equal(2, held.Count);
        Assert.Equal(sealedAtShutdown, held[0]); // unchanged
        // The second run's record starts where the first ended and ends inside the same hour.
        Assert.Equal(held[0].Key.Start + held[0].Key.Length, held[1].Key.Start);
        Assert.True(held[1].Key.Start + held[1].Key.Length < held[0].Key.Start + hour);
        Assert.Equal(0, Status(third).GetProperty("records").GetProperty("skippedAlreadyStored").GetInt64());
    }

    /// <summary>
    /// Issue 15 (a): the traffic of an epoch's remainder after a restart inside it was refused as already stored and
    /// lost. An agent watches a veth into a namespace (IPv4 only, neighbours resolved first, so its only IP traffic is
    /// the test's pings); it is stopped and started again inside one minute-long epoch, with a known number of pings
    /// in each run. Its records then hold every ICMP packet and byte exactly.
    /// </summary>
    [Fact]
    public void AnAgentRestartedInsideAnEpochLosesNoTrafficOfThatEpoch()
    {
        RequireRoot();
        using var link = VethNamespace.Create("rs", "10.231.86", ipv4Only: true);
        link.Exec("ping", "-c", "1", "-W", "2", link.HostAddress);
        long minute = 60_000_000;
        WaitUntilAtLeastLeftOfEpoch(minute, 45_000_000);
        string data = Path.Combine(_directory, "r");
        string[] options = ["--capture", "pcap", "-i", link.HostSide, "--epoch", "60s"];

        var first = Track(AgentProcess.Start("r", data, options));
        link.Exec("ping", "-c", "20", "-i", "0.05", "-s", "100", "-q", link.HostAddress); // 40 packets of 128 IP bytes
        Thread.Sleep(1500); // past libpcap's delivery of the last replies
        first.Terminate();
        Assert.Equal(0, first.WaitForExit(TimeSpan.FromSeconds(20)));

        var second = Track(AgentProcess.Start("r", data, options));
        link.Exec("ping", "-c", "30", "-i", "0.05", "-s", "200", "-q", link.HostAddress); // 60 packets of 228 IP bytes
        Thread.Sleep(1500);
        second.Terminate();
        Assert.Equal(0, second.WaitForExit(TimeSpan.FromSeconds(20)));

        var third = Track(AgentProcess.Start("r", data, options));
        var held = Records(third).Keys.OrderBy(k => k.Start).ToList();
        long from = held[0].Start / minute * minute - minute, to = from + 3 * minute;
        using var traffic = JsonDocument.Parse(third.Get($"api/v1/traffic?from={from}&to={to}"));
        var icmp = traffic.RootElement.GetProperty("totals").GetProperty("byProtocol").EnumerateArray().Single(p => p.GetProperty("protocol").GetString() == "icmp");
        string seen = $"records {string.Join(", ", held)}; ICMP {icmp}\n{second.Output}";
        TestContext.Current.TestOutputHelper?.WriteLine(seen);
        Assert.True((100L, 40 * 128L + 60 * 228L) == (icmp.GetProperty("packets").GetProperty("value").GetInt64(), icmp.GetProperty("bytes").GetProperty("value").GetInt64()),
            $"not the 100 packets and {40 * 128 + 60 * 228} bytes pinged: {seen}");
        // Both runs inside one epoch: the second's record continues the first's, and nothing was refused as stored.
        Assert.Equal(2, held.Count);
        Assert.Equal(held[0].Start / minute, (held[1].Start + held[1].Length - 1) / minute);
        Assert.Equal(held[0].Start + held[0].Length, held[1].Start);
        Assert.Equal(0, Status(third).GetProperty("records").GetProperty("skippedAlreadyStored").GetInt64());
    }

    /// <summary>Sleeps past the next boundary of <paramref name="epochMicros"/> epochs unless at least <paramref name="neededMicros"/> of the current one are left.</summary>
    private static void WaitUntilAtLeastLeftOfEpoch(long epochMicros, long neededMicros)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        long left = epochMicros - now % epochMicros;
        if (left < neededMicros) Thread.Sleep(TimeSpan.FromMicroseconds(left + 1_000_000));
    }

    [Fact]
    public void TwoCapturingAgentsEndUpHoldingEachOthersRecordsByteForByte()
    {
        RequireRoot();
        string[] capture = ["--capture", "pcap", "-i", "lo", "--epoch", "1s"];
        var a = Track(AgentProcess.Start("a", Path.Combine(_directory, "a"), capture));
        var b = Track(AgentProcess.Start("b", Path.Combine(_directory, "b"), [.. capture, "--join", a.Gossip, .. AgentProcess.EnrolledBy(Path.Combine(_directory, "a"), "b")]));
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
