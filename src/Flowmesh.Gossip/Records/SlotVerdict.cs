namespace Flowmesh.Gossip.Records;

/// <summary>What <see cref="EpochSlotRule.Judge"/> says of a record.</summary>
public enum SlotVerdict
{
    Fits,
    /// <summary>In no slot: crosses an epoch boundary, or is longer than an epoch without being an aligned roll-up.</summary>
    Misaligned,
    /// <summary>Overlaps a record its origin already has in the slot.</summary>
    Overlaps,
    /// <summary>The origin already has <see cref="EpochSlotRule.MaxPartsPerSlot"/> records in the slot.</summary>
    SlotFull,
}
