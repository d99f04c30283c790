using Flowmesh.Core.Epochs;

namespace Flowmesh.Core.Views;

/// <summary>
/// What a view took from "left to peer" sections (docs/global-view.md): counted per slot of the window
/// (<see cref="SlotMerge"/>) and added up over the slots, which is exact because every figure here is a sum or a union
/// and a section's epoch lies in one slot.
/// </summary>
internal sealed class LeftToPeerUse
{
    public int Sections;
    public readonly HashSet<string> Peers = new(StringComparer.Ordinal);
    /// <summary>Owners with a record that did not announce the addresses left to them (stale knowledge at the origin).</summary>
    public readonly HashSet<string> StaleOwners = new(StringComparer.Ordinal);
    public ulong Bytes, Packets, UnlistedBytes, UnlistedPackets;
    public int DuplicatesIgnored;
    public readonly List<(long EpochStart, TrafficCounters Counters)> ByEpoch = [];

    public void Add(LeftToPeerUse other)
    {
        Sections += other.Sections;
        Peers.UnionWith(other.Peers);
        StaleOwners.UnionWith(other.StaleOwners);
        Bytes += other.Bytes;
        Packets += other.Packets;
        UnlistedBytes += other.UnlistedBytes;
        UnlistedPackets += other.UnlistedPackets;
        DuplicatesIgnored += other.DuplicatesIgnored;
        ByEpoch.AddRange(other.ByEpoch);
    }
}
