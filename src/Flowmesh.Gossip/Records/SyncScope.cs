using Flowmesh.Core.Zones;

namespace Flowmesh.Gossip.Records;

/// <summary>What a scoped session reconciles (docs/zones.md "Aggregates", docs/replication.md "Scopes").</summary>
public enum SyncScopeKind : byte
{
    /// <summary>The per-PC records of the origins in one leaf zone: only that zone's members replicate them.</summary>
    Records = 1,

    /// <summary>The aggregates of the children of one zone (the root: the top level), among that zone's members.</summary>
    Aggregates = 2,
}

/// <summary>
/// The scope tag of a sync request: a kind and the zone it applies to. A node replicates full records only inside its
/// leaf zone and, for each ancestor, the aggregates of that ancestor's children, one replicator per scope, as
/// <c>ZonedSimulator</c> runs them. A request without a scope is flat replication (protocol version 1).
/// </summary>
public sealed record SyncScope(SyncScopeKind Kind, ZonePath Zone)
{
    public static SyncScope RecordsOf(ZonePath leaf)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        if (leaf.IsRoot) throw new ArgumentException("a records scope names a leaf zone, not the root", nameof(leaf));
        return new SyncScope(SyncScopeKind.Records, leaf);
    }

    public static SyncScope AggregatesUnder(ZonePath zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        return new SyncScope(SyncScopeKind.Aggregates, zone);
    }

    /// <summary>
    /// Every scope a node in <paramref name="leaf"/> takes part in: its leaf's records, then for each ancestor from
    /// the leaf's parent up to the root the aggregates of that ancestor's children.
    /// </summary>
    public static IReadOnlyList<SyncScope> Of(ZonePath leaf)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        var scopes = new List<SyncScope> { RecordsOf(leaf) };
        for (int depth = leaf.Depth - 1; depth >= 0; depth--) scopes.Add(AggregatesUnder(leaf.Prefix(depth)));
        return scopes;
    }

    public override string ToString() => Kind == SyncScopeKind.Records ? $"records of {Zone}" : $"aggregates under {Zone}";
}
