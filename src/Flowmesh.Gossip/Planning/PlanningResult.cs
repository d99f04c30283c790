namespace Flowmesh.Gossip.Planning;

/// <summary>
/// What a planning run measured (field by field in docs/simulate.md). Per-node figures are means over the nodes
/// running at the end; bytes count both directions of every sync message, as an agent's network interface would.
/// </summary>
public sealed record PlanningResult
{
    public required int Nodes { get; init; }
    public required int Zones { get; init; }
    public required int Levels { get; init; }
    public required int Epochs { get; init; }
    public required double EpochSeconds { get; init; }
    public required string Replication { get; init; }
    public required double BytesPerNodePerSecond { get; init; }
    public required double RecordsPerNodePerEpoch { get; init; }
    public required double CpuPercentPerNode { get; init; }
    public required double CostPerRecordMilliseconds { get; init; }

    /// <summary>Seconds after an epoch's end until 99 % of running nodes hold 99 % of its alive origins' records (the worst epoch); null if never.</summary>
    public required double? CoverageSeconds { get; init; }

    public required bool ExactlyOnce { get; init; }
    public required int ViewsChecked { get; init; }
    public required int LostSealedRecords { get; init; }
    public required int CrashedNodes { get; init; }
    public required double MemoryBytesPerNode { get; init; }
    public required double MeanRecordBytes { get; init; }
    public required double WallSeconds { get; init; }
    public required string Verification { get; init; }

    /// <summary>Zone mode: aggregates produced in the run, re-issues included (0 in flat mode).</summary>
    public int AggregatesProduced { get; init; }

    /// <summary>Zone mode: the part of <see cref="BytesPerNodePerSecond"/> spent on aggregates (their scopes' digests included).</summary>
    public double AggregateBytesPerNodePerSecond { get; init; }

    /// <summary>Zone mode: the period each aggregate covers (0 in flat mode).</summary>
    public double AggregatePeriodSeconds { get; init; }
}
