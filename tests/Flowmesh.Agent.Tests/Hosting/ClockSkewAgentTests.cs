using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Flowmesh.Agent.Tests.Hosting;

/// <summary>
/// Issue 15, as reproduced there: a 3-agent cluster where one agent is restarted under `faketime +1h` (or -1h) was not
/// counted alive by its peers 45 s later, and a +8 day jump of the wall clock deleted all history at the next prune.
/// Real agents on loopback; the skewed one captures on loopback (root), so it has records to lose.
/// </summary>
[Collection(nameof(AgentProcessCollection))]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ClockSkewAgentTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fmh-clock-").FullName;
    private readonly List<AgentProcess> _agents = [];

    private AgentProcess Track(AgentProcess agent)
    {
        _agents.Add(agent);
        return agent;
    }

    [Theory]
    [InlineData("+1h", 3600)]
    [InlineData("-1h", -3600)]
    public void An_agent_restarted_an_hour_off_stays_a_member_keeps_its_records_and_every_view_shows_the_skew(string offset, int seconds)
    {
        FakeClock.Require();
        if (!Environment.IsPrivilegedProcess) Assert.Skip("needs root: the skewed agent captures on loopback with libpcap");
        var a = Track(AgentProcess.Start("a", Path.Combine(_directory, "a")));
        string[] join = ["--join", a.Gossip];
        var b = Track(AgentProcess.Start("b", Path.Combine(_directory, "b"), [.. join, .. AgentProcess.EnrolledBy(Path.Combine(_directory, "a"), "b")]));
        string[] capture = ["--capture", "pcap", "-i", "lo", "--epoch", "1s"];
        string cData = Path.Combine(_directory, "c");
        string[] joinC = [.. join, .. AgentProcess.EnrolledBy(Path.Combine(_directory, "a"), "c")];
        var c = Track(AgentProcess.Start("c", cData, [.. joinC, .. capture]));
        AgentProcess.WaitUntil(() => Alive(a, "c") && Alive(b, "c") && OwnRecordsAt(a, "c") >= 3, TimeSpan.FromSeconds(40), () => a.Output + "\n" + c.Output);
        c.Terminate();
        Assert.Equal(0, c.WaitForExit(TimeSpan.FromSeconds(20)));
        var before = a.Records().Where(r => r.Key.Origin == "c").ToList();

        var clock = new FakeClock(_directory, offset);
        var skewed = Track(AgentProcess.StartIn(clock.Environment, "c", cData, [.. joinC, .. capture]));
        // The issue's check: 45 s after the restart its peers still did not count it alive. Now: alive in its new life,
        // measured, and its new records arrive.
        AgentProcess.WaitUntil(() => AliveInLife(a, "c", skewed.Incarnation) && AliveInLife(b, "c", skewed.Incarnation)
                && Offset(a, "c") is { } o && Math.Abs(o - seconds) < 2 && NewRecordsAt(a, "c", before.Count) >= 3,
            TimeSpan.FromSeconds(45), () => a.Get("api/v1/members") + "\n" + a.Get("api/v1/status") + "\n" + skewed.Output);

        // Nothing lost: every record of c's previous life is still held, unchanged.
        var after = a.Records();
        foreach (var (id, hash) in before) Assert.True(after.TryGetValue(id, out var kept) && kept == hash, $"record {id} lost");

        // members (API and CLI), /status and /metrics of a peer, and the skewed agent's own view, all show the skew.
        Assert.True(Member(a, "c").GetProperty("clockSkewed").GetBoolean());
        Assert.True(Math.Abs(Offset(a, "a")!.Value) < 1 && Math.Abs(Offset(a, "b")!.Value) < 1);
        var (_, table, error) = AgentProcess.Cli("members", "--agent", a.Api.ToString(), "--format", "table");
        Assert.Contains($"clock skew: 'c' is {(seconds > 0 ? "+" : "-")}1h00m off the cluster's time", table + error, StringComparison.Ordinal);
        var status = a.Status().GetProperty("clock");
        Assert.Equal("c", Assert.Single(status.GetProperty("skewed").EnumerateArray()).GetProperty("name").GetString());
        // Epochs are cut on the agent's own clock: an hour ahead, its records start "in the future" and are accepted
        // with the flag (counted); an hour behind, they are merely an hour old.
        long flagged = status.GetProperty("recordsAcceptedFromSkewedClocks").GetInt64();
        if (seconds > 0) Assert.True(flagged >= 3, $"{flagged} records accepted as from a skewed clock");
        else Assert.Equal(0, flagged);
        string metrics = a.Get("metrics");
        Assert.Matches(new Regex(@"^flowmesh_clock_skewed_members 1$", RegexOptions.Multiline), metrics);
        Assert.InRange(Metric(metrics, "flowmesh_clock_max_offset_seconds"), 3598, 3602);
        // Not one packet of the skewed agent was taken for a replay or refused as stale.
        Assert.Equal(0, Metric(metrics, "flowmesh_gossip_dropped_packets_total{reason=\"replayed\"}"));
        Assert.Equal(0, Metric(metrics, "flowmesh_gossip_dropped_packets_total{reason=\"too_old\"}"));
        var own = skewed.Status().GetProperty("clock");
        Assert.InRange(own.GetProperty("offsetSeconds").GetDouble(), seconds - 2, seconds + 2);
        Assert.Equal(2, own.GetProperty("peersSampled").GetInt32());
    }

    [Fact]
    public void A_wall_clock_jump_of_eight_days_deletes_no_history_and_sealing_goes_on()
    {
        FakeClock.Require();
        if (!Environment.IsPrivilegedProcess) Assert.Skip("needs root: the agent captures on loopback with libpcap");
        var clock = new FakeClock(_directory, "+0");
        var agent = Track(AgentProcess.StartIn(clock.Environment, "j", Path.Combine(_directory, "j"), "--capture", "pcap", "-i", "lo", "--epoch", "1s"));
        AgentProcess.WaitUntil(() => agent.Records().Count >= 5, TimeSpan.FromSeconds(30), () => agent.Output);
        var before = agent.Records();
        long sealedBefore = agent.Status().GetProperty("records").GetProperty("sealed").GetInt64();
        clock.Set("+8d");
        // Retention runs a minute after the start: wait for it (the log line says it held back).
        AgentProcess.WaitUntil(() => agent.Output.Contains("retention keeps following the monotonic clock", StringComparison.Ordinal),
            TimeSpan.FromSeconds(75), () => agent.Output);
        var after = agent.Records();
        foreach (var (id, hash) in before) Assert.True(after.TryGetValue(id, out var kept) && kept == hash, $"record {id} deleted after the jump");
        var status = agent.Status();
        Assert.True(status.GetProperty("records").GetProperty("sealed").GetInt64() > sealedBefore + 10, "sealing stopped after the jump");
        Assert.Equal(0, status.GetProperty("records").GetProperty("storeFailures").GetInt64());
        Assert.True(status.GetProperty("clock").GetProperty("retentionHeldBack").GetInt64() >= 1);
        Assert.True(Metric(agent.Get("metrics"), "flowmesh_retention_held_back_total") >= 1);
        // Sealed after the jump: epochs 8 days ahead, stored next to the old ones.
        long jumped = (DateTimeOffset.UtcNow + TimeSpan.FromDays(7)).ToUnixTimeMilliseconds() * 1000;
        Assert.Contains(after.Keys, id => id.Start > jumped);
    }

    /// <summary>
    /// Issue 15 (b): epochs sealed while the clock was ahead hold ids in the future; when real time reached them, the
    /// fixed agent's records for those epochs were refused as already stored and their traffic lost. Here the clock runs
    /// 40 s ahead for one life, then the agent restarts with it right and pings go on for 50 s, through the time its
    /// earlier records claim. Its records hold every ICMP packet and byte of the test's pings, and none overlap.
    /// </summary>
    [Fact]
    public void A_clock_put_back_under_its_earlier_records_loses_none_of_the_traffic_that_meets_them()
    {
        FakeClock.Require();
        if (!Environment.IsPrivilegedProcess) Assert.Skip("needs root: network namespaces and live capture");
        using var link = VethNamespace.Create("cb", "10.231.87", ipv4Only: true);
        link.Exec("ping", "-c", "1", "-W", "2", link.HostAddress);
        string data = Path.Combine(_directory, "k");
        string[] options = ["--capture", "pcap", "-i", link.HostSide, "--epoch", "5s"];
        var clock = new FakeClock(_directory, "+40s");
        var ahead = Track(AgentProcess.StartIn(clock.Environment, "k", data, options));
        link.Exec("ping", "-c", "20", "-i", "0.05", "-s", "100", "-q", link.HostAddress); // 40 packets of 128 IP bytes
        // Past the next boundary, so the pings are sealed on time: under libfaketime the capture loop sometimes does not
        // stop within the stop's 5 s (the agent of 261503f too), and then the open epoch is not sealed.
        Thread.Sleep(7000);
        ahead.Terminate();
        Assert.Equal(0, ahead.WaitForExit(TimeSpan.FromSeconds(20)));

        clock.Set("+0");
        var fixedClock = Track(AgentProcess.StartIn(clock.Environment, "k", data, options));
        link.Exec("ping", "-c", "100", "-i", "0.5", "-s", "200", "-q", link.HostAddress); // 200 packets of 228 IP bytes over 50 s
        Thread.Sleep(7000);
        // Read leniently, so that against an agent without the counter the test fails on the traffic, not here.
        double moved = fixedClock.Get("metrics").Split('\n').Any(l => l.StartsWith("flowmesh_records_moved_total ", StringComparison.Ordinal))
            ? Metric(fixedClock.Get("metrics"), "flowmesh_records_moved_total") : -1;
        fixedClock.Terminate();
        Assert.Equal(0, fixedClock.WaitForExit(TimeSpan.FromSeconds(20)));

        var reader = Track(AgentProcess.StartIn(clock.Environment, "k", data, options));
        var held = reader.Records().Keys.OrderBy(k => k.Start).ToList();
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        using var traffic = JsonDocument.Parse(reader.Get($"api/v1/traffic?from={now - 600_000_000}&to={now + 600_000_000}"));
        var icmp = traffic.RootElement.GetProperty("totals").GetProperty("byProtocol").EnumerateArray().Single(p => p.GetProperty("protocol").GetString() == "icmp");
        string seen = $"{moved} moved; records {string.Join(", ", held.Select(k => $"{k.Start}+{k.Length}"))}; ICMP {icmp}\n{fixedClock.Output}";
        TestContext.Current.TestOutputHelper?.WriteLine(seen);
        Assert.True((240L, 40 * 128L + 200 * 228L) == (icmp.GetProperty("packets").GetProperty("value").GetInt64(), icmp.GetProperty("bytes").GetProperty("value").GetInt64()),
            $"not the 240 packets and {40 * 128 + 200 * 228} bytes pinged: {seen}");
        // Roll-ups (1 min and longer) cover the records they were made from by design; the raw records must not overlap.
        var raw = held.Where(k => k.Length < 60_000_000).ToList();
        Assert.All(raw.Zip(raw.Skip(1)), pair => Assert.True(pair.Second.Start >= pair.First.Start + pair.First.Length, $"{pair.First} overlaps {pair.Second}"));
        Assert.True(moved >= 3, seen);
        Assert.Contains("sealed while the clock was ahead", fixedClock.Output, StringComparison.Ordinal);
        Assert.Equal(0, fixedClock.Output.Split('\n').Count(l => l.Contains("already stored", StringComparison.Ordinal)));
    }

    private static JsonElement Member(AgentProcess agent, string name) =>
        JsonDocument.Parse(agent.Get("api/v1/members")).RootElement.GetProperty("members").EnumerateArray()
            .Single(m => m.GetProperty("name").GetString() == name);

    private static bool Alive(AgentProcess agent, string name) =>
        JsonDocument.Parse(agent.Get("api/v1/members")).RootElement.GetProperty("members").EnumerateArray()
            .Any(m => m.GetProperty("name").GetString() == name && m.GetProperty("state").GetString() == "alive");

    private static bool AliveInLife(AgentProcess agent, string name, uint incarnation) =>
        JsonDocument.Parse(agent.Get("api/v1/members")).RootElement.GetProperty("members").EnumerateArray()
            .Any(m => m.GetProperty("name").GetString() == name && m.GetProperty("state").GetString() == "alive"
                && m.GetProperty("incarnation").GetUInt32() >= incarnation);

    private static double? Offset(AgentProcess agent, string name) =>
        Member(agent, name).GetProperty("clockOffsetSeconds") is { ValueKind: JsonValueKind.Number } o ? o.GetDouble() : null;

    private static int OwnRecordsAt(AgentProcess agent, string origin) => agent.Records().Keys.Count(k => k.Origin == origin);

    private static int NewRecordsAt(AgentProcess agent, string origin, int before) => OwnRecordsAt(agent, origin) - before;

    private static double Metric(string metrics, string series)
    {
        var line = metrics.Split('\n').Single(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        foreach (var agent in _agents) agent.Dispose();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
