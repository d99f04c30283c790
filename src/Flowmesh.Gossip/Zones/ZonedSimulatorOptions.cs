using Flowmesh.Gossip.Records;

namespace Flowmesh.Gossip.Zones;

/// <summary>Network conditions and zone settings of a <see cref="ZonedSimulator"/> run. Same seed, same run.</summary>
public sealed record ZonedSimulatorOptions
{
    public int Seed { get; init; } = 1;

    /// <summary>Zones per parent and PCs per leaf zone (docs/zones.md "The chosen shape": 10).</summary>
    public int Branching { get; init; } = 10;

    /// <summary>Depth of the leaf zones; nodes fill the leaf zones in order, so the tree is as balanced as N allows.</summary>
    public int Levels { get; init; } = 2;

    /// <summary>Latency between nodes of the same top-level zone (a site).</summary>
    public TimeSpan MinLatency { get; init; } = TimeSpan.FromMilliseconds(1);
    public TimeSpan MaxLatency { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Latency between sites (top-level zones): the 5-30 ms WAN.</summary>
    public TimeSpan MinWanLatency { get; init; } = TimeSpan.FromMilliseconds(5);
    public TimeSpan MaxWanLatency { get; init; } = TimeSpan.FromMilliseconds(30);

    public double LossRate { get; init; }
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMilliseconds(500);
    public DateTimeOffset StartTime { get; init; } = new(2026, 11, 24, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Anti-entropy of the per-PC records inside a leaf zone (as flat replication, among at most b PCs).</summary>
    public ReplicationOptions Replication { get; init; } = new();

    /// <summary>
    /// Anti-entropy of the aggregates inside each zone. They change once per period, so sessions are rarer than the
    /// leaf zone's; the digest lists one entry per child zone and weight.
    /// </summary>
    public ReplicationOptions AggregateReplication { get; init; } = new() { Interval = TimeSpan.FromSeconds(2) };

    /// <summary>The period an aggregate covers (docs/zones.md: 30 s keeps aggregates within the byte budget).</summary>
    public TimeSpan AggregatePeriod { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a producer waits after its first input (a period's end, or a child's aggregate) before merging.</summary>
    public TimeSpan Grace { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How long an upper zone's producer waits for the aggregates of all its children before a first, partial merge.</summary>
    public TimeSpan ChildrenWait { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How many times a producer re-issues a period's aggregate when more inputs arrive.</summary>
    public int MaxReissues { get; init; } = 2;

    public void Validate()
    {
        if (Branching is < 2 or > 64) throw new ArgumentOutOfRangeException(nameof(Branching), Branching, "2..64");
        if (Levels is < 1 or > 6) throw new ArgumentOutOfRangeException(nameof(Levels), Levels, "1..6");
        if (AggregatePeriod <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(AggregatePeriod), AggregatePeriod, "positive");
        if (Grace < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(Grace), Grace, "not negative");
        if (MaxReissues is < 0 or > 10) throw new ArgumentOutOfRangeException(nameof(MaxReissues), MaxReissues, "0..10");
        Replication.Validate();
        AggregateReplication.Validate();
    }
}
