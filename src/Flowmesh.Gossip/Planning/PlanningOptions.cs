using Flowmesh.Gossip.Records;

namespace Flowmesh.Gossip.Planning;

/// <summary>What `flowmesh simulate` runs (docs/simulate.md). Every field has the default the command uses.</summary>
public sealed record PlanningOptions
{
    public int Nodes { get; init; } = 100;
    public int Epochs { get; init; } = 12;
    public TimeSpan EpochLength { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Fraction of requests and replies lost (0..0.5).</summary>
    public double Loss { get; init; } = 0.01;

    /// <summary>Fraction of nodes that crash (kill -9: store gone) halfway through the run.</summary>
    public double Crash { get; init; }

    /// <summary>Worst-case records (≈ 60 KB) instead of typical ones (≈ 5.6 KB).</summary>
    public bool WorstCaseRecords { get; init; }

    /// <summary>
    /// CPU an agent spends per record it receives (verify, store, view). Default: the figure docs/performance.md
    /// measured on live agents; the simulator verifies each distinct envelope once and charges this per receipt.
    /// </summary>
    public TimeSpan CostPerRecord { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>After the last epoch, how long the run continues so the last records can spread.</summary>
    public TimeSpan Drain { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How many nodes' views are rebuilt and checked against the records' true byte totals (all when fewer).</summary>
    public int ViewChecks { get; init; } = 16;

    /// <summary>
    /// Null: flat replication (every node holds every record). A number B: the zone tree of docs/zones.md, leaf zones
    /// of B PCs and B zones per parent, aggregates every 30 s.
    /// </summary>
    public int? ZoneBranching { get; init; }

    public int Seed { get; init; } = 1;
    public ReplicationOptions Replication { get; init; } = new();

    public void Validate()
    {
        if (Nodes is < 2 or > 100_000) throw new ArgumentOutOfRangeException(nameof(Nodes), Nodes, "2..100000");
        if (Epochs is < 1 or > 10_000) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "1..10000");
        if (EpochLength < TimeSpan.FromSeconds(1) || EpochLength > TimeSpan.FromDays(1)) throw new ArgumentOutOfRangeException(nameof(EpochLength), EpochLength, "1 s .. 1 day");
        if (Loss is < 0 or > 0.5 || double.IsNaN(Loss)) throw new ArgumentOutOfRangeException(nameof(Loss), Loss, "0 .. 0.5");
        if (Crash is < 0 or >= 1 || double.IsNaN(Crash)) throw new ArgumentOutOfRangeException(nameof(Crash), Crash, "0 .. below 1");
        if (CostPerRecord < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(CostPerRecord), CostPerRecord, "not negative");
        if (Drain < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(Drain), Drain, "not negative");
        if (ZoneBranching is < 2 or > 64) throw new ArgumentOutOfRangeException(nameof(ZoneBranching), ZoneBranching, "2..64");
        if (ViewChecks < 0) throw new ArgumentOutOfRangeException(nameof(ViewChecks), ViewChecks, "not negative");
        Replication.Validate();
    }
}
