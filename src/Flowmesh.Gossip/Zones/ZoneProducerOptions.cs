namespace Flowmesh.Gossip.Zones;

/// <summary>When and how often a <see cref="ZoneProducer"/> merges (defaults as <see cref="ZonedSimulatorOptions"/>, docs/zones.md).</summary>
public sealed record ZoneProducerOptions
{
    /// <summary>The period an aggregate covers; periods are aligned to multiples of it since the Unix epoch.</summary>
    public TimeSpan Period { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long after a period's end the first merge waits for the zone's last records to arrive.</summary>
    public TimeSpan Grace { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How long an upper zone's first merge waits for every child zone with members before merging what it has.</summary>
    public TimeSpan ChildrenWait { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Re-issues per zone and period when late inputs arrive (each costs a replication of the aggregate).</summary>
    public int MaxReissues { get; init; } = 2;

    /// <summary>How many ended periods are revisited for late inputs.</summary>
    public int Lookback { get; init; } = 4;

    public void Validate()
    {
        if (Period < TimeSpan.FromSeconds(1)) throw new ArgumentOutOfRangeException(nameof(Period), Period, "at least 1 s");
        if (Grace < TimeSpan.Zero || Grace >= Period) throw new ArgumentOutOfRangeException(nameof(Grace), Grace, "0 up to the period");
        if (ChildrenWait < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(ChildrenWait), ChildrenWait, "not negative");
        if (MaxReissues is < 0 or > 10) throw new ArgumentOutOfRangeException(nameof(MaxReissues), MaxReissues, "0..10");
        if (Lookback is < 1 or > 120) throw new ArgumentOutOfRangeException(nameof(Lookback), Lookback, "1..120");
    }
}
