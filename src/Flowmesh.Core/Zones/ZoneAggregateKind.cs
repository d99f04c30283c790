namespace Flowmesh.Core.Zones;

/// <summary>What a zone aggregate's manifest lists (the byte in its encoding).</summary>
public enum ZoneAggregateKind : byte
{
    /// <summary>Origins' records: the zone is a leaf of the tree.</summary>
    Records = 1,

    /// <summary>Aggregates of the zone's children.</summary>
    Zones = 2,
}
