using Flowmesh.Agent.Api;

namespace Flowmesh.Agent.Tests.Api;

/// <summary>A fixed agent state, and the record queries the API passed on.</summary>
internal sealed class FakeReadModel : IAgentReadModel
{
    public List<(string? Origin, long From, long To, int Limit)> RecordQueries { get; } = [];

    public MembersResponse Members() => new("a",
    [
        new MemberEntry("a", "10.0.0.1:7946", "alive", 3, 12.5) { ClockOffsetSeconds = -0.002 },
        new MemberEntry("b", "10.0.0.2:7946", "suspect", 1, 0.25) { ClockOffsetSeconds = 3599.6, ClockSkewed = true },
        new MemberEntry("c", "10.0.0.3:7946", "dead", 7, 3700),
        new MemberEntry("d", "10.0.0.4:7946", "left", 2, 90061),
    ]);

    /// <summary>Makes Status throw, as a store failure would.</summary>
    public bool FailStatus { get; set; }

    public StatusResponse Status() => FailStatus ? throw new IOException("disk I/O error") : new("a", 3, 60, 10,
        new CaptureStatus("libpcap eth0", 1234, 5, null, "running", new Dictionary<string, long> { ["summary"] = 0 }),
        new RecordCounts(6, 20, 1, 0),
        [new OriginStatus("a", 6, "2026-11-24T01:00:00.000000Z", 4.5)],
        new GossipStatus(4, 2, 100, 10_000, 90, 9_000, 1, 2, 0, 3, 14, 0))
    {
        Clock = new ClockStatus(-0.002, 2, 5, [new SkewedClock("b", 3599.6, "the clock of b is +1h00m off the cluster's time")], 1, 0),
        Zone = "site-a/3/0/7/1",
    };

    public Flowmesh.Agent.Metrics.AgentMetricsSnapshot Metrics() => new()
    {
        Node = "a",
        CapturePackets = 1234,
        Members = new Dictionary<string, int> { ["alive"] = 2, ["dead"] = 1 },
        GossipDrops = new Dictionary<string, long> { ["replayed"] = 3 },
    };

    public RecordsResponse Records(string? origin, long fromMicros, long toMicros, int limit)
    {
        lock (RecordQueries) RecordQueries.Add((origin, fromMicros, toMicros, limit));
        return new RecordsResponse([new RecordEntry("a", "2026-11-24T01:00:00.000000Z", 1_795_914_000_000_000, 10_000_000, 812, new string('0', 64))], false);
    }
}
