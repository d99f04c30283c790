namespace Flowmesh.Core.Zones;

/// <summary>What <see cref="ZoneAggregateSet.Add"/> did with an aggregate.</summary>
public enum ZoneAggregateAddResult
{
    /// <summary>The first aggregate of its zone and period, or incomparable with those held (kept beside them).</summary>
    Added,

    /// <summary>Its manifest covers one or more held aggregates', which it replaced.</summary>
    Replaced,

    /// <summary>The same bytes are held already.</summary>
    Duplicate,

    /// <summary>A held aggregate's manifest covers its manifest: it adds nothing.</summary>
    Covered,

    /// <summary>
    /// A held aggregate has the same manifest but other contents: one producer merged wrongly or lied. The first one
    /// stays; recomputing from the inputs (<see cref="ZoneAggregate.IsMergeOf(IEnumerable{Epochs.EpochRecord})"/>) tells which is right.
    /// </summary>
    Conflict,
}
