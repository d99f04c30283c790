namespace Flowmesh.Core.Dns;

/// <summary>Bounds of <see cref="DnsTrafficMonitor"/>'s state (docs/host-context.md#dns).</summary>
public sealed record DnsMonitorOptions
{
    /// <summary>Queries awaiting a response; beyond it new queries are counted, not tracked.</summary>
    public int MaxPendingQueries { get; init; } = 4096;

    /// <summary>A query without a response after this long is reported unanswered (dig gives up after 3 × 5 s by default).</summary>
    public TimeSpan QueryTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>(client, address) -> name entries; the least recently resolved goes first beyond it.</summary>
    public int MaxCachedNames { get; init; } = 16_384;

    /// <summary>An answer names its addresses at least this long, whatever its TTL: connections outlive short TTLs.</summary>
    public TimeSpan MinimumNameLifetime { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>And at most this long.</summary>
    public TimeSpan MaximumNameLifetime { get; init; } = TimeSpan.FromDays(1);

    /// <summary>TCP DNS messages split over segments being put back together at once.</summary>
    public int MaxTcpReassemblies { get; init; } = 64;
}
