namespace Flowmesh.Core.Views;

/// <summary>
/// The two parts of a zoned node's window (docs/zones.md "The view: one representation per subtree"): what came from
/// per-PC records (its own leaf zone, and any other origin's records it holds and no aggregate replaced) and what came
/// from zone aggregates of the other subtrees, with the end of the newest input of each part, so every answer can say
/// how old each part is. Null on <see cref="ViewCoverage.Zones"/> for a flat node.
/// </summary>
public sealed record ZoneViewCoverage
{
    /// <summary>Origins with at least one per-PC record merged directly.</summary>
    public required int RecordOrigins { get; init; }

    /// <summary>Per-PC records merged directly.</summary>
    public required int Records { get; init; }

    /// <summary>End of the newest per-PC record merged directly; null when none.</summary>
    public long? NewestRecordEndMicros { get; init; }

    /// <summary>The aggregated zones used (each zone once, however many periods), by path.</summary>
    public required IReadOnlyList<string> Zones { get; init; }

    /// <summary>Aggregates merged (one per zone and period at most).</summary>
    public required int Aggregates { get; init; }

    /// <summary>Origin records counted through aggregates (the sum of their manifests' weights).</summary>
    public required long AggregatedRecords { get; init; }

    /// <summary>
    /// Distinct origins listed among the aggregates' inputs. Inputs of an upper zone's aggregate are listed only when
    /// the node holds the child aggregates it merged (they are counted in <see cref="AggregatedRecords"/> either way).
    /// </summary>
    public required IReadOnlyList<string> AggregatedOrigins { get; init; }

    /// <summary>End of the newest aggregate merged; null when none.</summary>
    public long? NewestAggregateEndMicros { get; init; }

    /// <summary>
    /// Records of origins in other zones that were left out because an aggregate of their zone covers part of their
    /// time (a roll-up or a record across a period boundary cannot be split): counting them would count that part twice.
    /// </summary>
    public int RecordsLeftOut { get; init; }

    /// <summary>
    /// "Left to peer" sections not used because their owner's record is inside a merged aggregate (the owner counted
    /// those flows): without this, traffic between monitored PCs across zones, or inside an aggregated zone, counts twice.
    /// </summary>
    public int LeftSectionsResolved { get; init; }

    /// <summary>Alive origins placed in other zones that no aggregate input and no record of the window covers.</summary>
    public IReadOnlyList<string> MissingFromAggregates { get; init; } = [];

    /// <summary>Each aggregated zone on its own: `flowmesh zones` shows them next to the zones seen through records.</summary>
    public IReadOnlyList<AggregatedZone> PerZone { get; init; } = [];
}

/// <summary>
/// One other zone as a zoned node sees it through its aggregates in a window: how many aggregates and origin records,
/// its members (those the leaf aggregates' manifests name, and those the node knows to sit there), how many of them
/// are alive and how many some aggregate input covers, and the end of its newest aggregate.
/// </summary>
public sealed record AggregatedZone(string Zone, int Aggregates, long Records, IReadOnlyList<string> Members, int Alive, int Reporting, long? NewestEndMicros);
