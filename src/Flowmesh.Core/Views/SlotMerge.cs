using Flowmesh.Core.Epochs;
using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Views;

/// <summary>
/// One aligned slot of a window merged: every chosen record lying in the slot summed once, plus what the slot's
/// "left to peer" sections add for owners without a record (docs/global-view.md, "Counting each flow once"). A slot
/// holds every chosen record of the epochs it covers (<see cref="WindowSlots"/> never lets a record straddle two), so
/// whether a section's owner has a record, and whether another origin announced a flow's address, is decided inside
/// the slot, exactly as over the whole window. Immutable once built: views and larger slots merge from it into fresh
/// contents, so a <see cref="SlotMergeCache"/> can share it between builds.
/// </summary>
internal sealed class SlotMerge
{
    private SlotMerge(EpochContents merged, TrafficCounters[] unlistedByProtocol, TrafficCounters unlistedMonitor, LeftToPeerUse leftUsed, CrossCheck crossCheck)
    {
        CrossCheck = crossCheck;
        Merged = merged;
        UnlistedByProtocol = unlistedByProtocol;
        UnlistedMonitor = unlistedMonitor;
        LeftUsed = leftUsed;
    }

    /// <summary>The slot's sketches and counters (addresses and "left to peer" sections are not carried).</summary>
    public EpochContents Merged { get; }

    /// <summary>Traffic of unlisted remainders of sections whose owner has no record: in the totals, in no sketch.</summary>
    public TrafficCounters[] UnlistedByProtocol { get; }

    public TrafficCounters UnlistedMonitor { get; }

    public LeftToPeerUse LeftUsed { get; }

    /// <summary>The slot's comparison of peer accounts (docs/cross-check.md).</summary>
    public CrossCheck CrossCheck { get; }

    /// <summary>
    /// Merges <paramref name="records"/> (the slot's chosen records, at least one, sorted by origin then start, per
    /// origin disjoint) in that order, then adds the sections left to owners without a record.
    /// </summary>
    public static SlotMerge FromRecords(IReadOnlyList<EpochRecord> records, long slotStart, long slotLength, long epochMicros, CrossCheckTolerance? tolerance = null)
    {
        var merged = records[0].Contents.CreateEmptyLike();
        var byOrigin = new Dictionary<string, List<EpochRecord>>(StringComparer.Ordinal);
        var origins = new List<string>();
        foreach (var record in records)
        {
            merged.MergeFrom(record.Contents, withListings: false);
            if (!byOrigin.TryGetValue(record.Id.Origin, out var list))
            {
                byOrigin[record.Id.Origin] = list = [];
                origins.Add(record.Id.Origin);
            }
            list.Add(record);
        }
        var unlistedByProtocol = new TrafficCounters[ProtocolClasses.Count];
        var unlistedMonitor = default(TrafficCounters);
        var leftUsed = new LeftToPeerUse();
        // Cross-check first: an origin found hiding traffic in this slot is taken as missing by the left-to-peer rule,
        // so its peers' listings of the flows they left to it are counted (their testimony).
        var crossCheck = CrossCheck.Compare(byOrigin, slotStart, slotLength, tolerance ?? CrossCheckTolerance.Default);
        AddLeftToMissingOwners(merged, byOrigin, origins, new EpochId("left-to-peer", slotStart, slotLength), epochMicros,
            unlistedByProtocol, ref unlistedMonitor, leftUsed, crossCheck.Hidden);
        return new SlotMerge(merged, unlistedByProtocol, unlistedMonitor, leftUsed, crossCheck);
    }

    /// <summary>Merges already merged slots (at least one), in the order given: the contents and every counter add up.</summary>
    public static SlotMerge FromParts(IReadOnlyList<SlotMerge> parts)
    {
        var merged = parts[0].Merged.CreateEmptyLike();
        var unlistedByProtocol = new TrafficCounters[ProtocolClasses.Count];
        var unlistedMonitor = default(TrafficCounters);
        var leftUsed = new LeftToPeerUse();
        var crossCheck = new CrossCheck();
        foreach (var part in parts)
        {
            crossCheck.Add(part.CrossCheck);
            merged.MergeFrom(part.Merged, withListings: false);
            for (int i = 0; i < unlistedByProtocol.Length; i++) unlistedByProtocol[i] += part.UnlistedByProtocol[i];
            unlistedMonitor += part.UnlistedMonitor;
            leftUsed.Add(part.LeftUsed);
        }
        return new SlotMerge(merged, unlistedByProtocol, unlistedMonitor, leftUsed, crossCheck);
    }

    /// <summary>
    /// Uses the "left to peer" sections (docs/global-view.md): a flow an origin saw but left to its owner is counted
    /// from that section where the owner has no merged record overlapping the section's epoch, so it is counted once
    /// whether the owner's record is there or not. A listed flow is also counted when the owner's record is there but
    /// no other origin's record of the epoch announces either of the flow's addresses: the origin left it on stale
    /// knowledge (the address moved, or was never captured by the agent it was believed to belong to), and the agent
    /// that announces an address always counts or leaves that address's flows itself. Listed flows go through the same
    /// summary code as captured ones (talkers, pairs, matrix, distinct...); a flow listed by several origins for one
    /// epoch is taken once (from the ordinally lowest origin). Unlisted remainders are used only where the owner has no
    /// record; they are added to the exact totals and widen every top-list bound.
    /// </summary>
    private static void AddLeftToMissingOwners(EpochContents merged, Dictionary<string, List<EpochRecord>> byOrigin, List<string> origins,
        EpochId standId, long epochMicros, TrafficCounters[] unlistedByProtocol, ref TrafficCounters unlistedMonitor, LeftToPeerUse leftUsed, HashSet<string> hidden)
    {
        EpochSummary? stand = null;
        AnnouncedAddresses? announced = null;
        // Which origin a flow of an epoch is taken from. Keyed by the epoch, not the section's start: an origin that
        // restarted inside an epoch has two records in it, [start, stop) and [restart, end), and its flow is taken from
        // both (different traffic), while another origin's listing of the same flow in that epoch is a duplicate.
        Dictionary<(long, byte, IpAddress128, ushort, IpAddress128, ushort), string>? taken = null;
        origins.Sort(StringComparer.Ordinal);
        foreach (var origin in origins)
        {
            foreach (var record in byOrigin[origin])
            {
                foreach (var section in record.Contents.Extensions.Left)
                {
                    var ownerRecord = hidden.Contains(section.Peer) ? OwnerRecordState.Missing : OwnerRecord(byOrigin, section);
                    // An owner record without an address list (an older build) cannot say what it did not count.
                    if (ownerRecord == OwnerRecordState.Unannounced) continue;
                    bool ownerMissing = ownerRecord == OwnerRecordState.Missing;
                    bool used = false;
                    foreach (var f in section.Flows)
                    {
                        if (!ownerMissing)
                        {
                            announced ??= new AnnouncedAddresses(byOrigin);
                            if (announced.AnyOtherThan(origin, section.StartMicros, section.EndMicros, f.Source, f.Destination)) continue;
                        }
                        used = true;
                        taken ??= [];
                        var key = Canonical(EpochRollup.AlignDown(section.StartMicros, epochMicros), f);
                        if (!taken.TryAdd(key, origin) && taken[key] != origin) { leftUsed.DuplicatesIgnored++; continue; }
                        stand ??= new EpochSummary(standId, merged);
                        var delta = new Flows.FlowTableDelta(f.Protocol, f.Source, f.SourcePort, f.Destination, f.DestinationPort,
                            (long)f.Packets, (long)f.Bytes, (long)f.ReversePackets, (long)f.ReverseBytes, f.StartsRecord, section.StartMicros, section.EndMicros);
                        stand.Add(in delta);
                        if (f.Monitor) stand.AddMonitor(in delta);
                        leftUsed.Bytes += f.Bytes + f.ReverseBytes;
                        leftUsed.Packets += f.Packets + f.ReversePackets;
                        leftUsed.ByEpoch.Add((section.StartMicros, new TrafficCounters(f.Bytes + f.ReverseBytes, f.Packets + f.ReversePackets, f.StartsRecord ? 1UL : 0UL)));
                    }
                    if (used || ownerMissing) leftUsed.Sections++;
                    if (!ownerMissing)
                    {
                        if (used) leftUsed.StaleOwners.Add(section.Peer);
                        continue;
                    }
                    leftUsed.Peers.Add(section.Peer);
                    for (int i = 0; i < unlistedByProtocol.Length && i < section.UnlistedByProtocol.Count; i++)
                        unlistedByProtocol[i] += section.UnlistedByProtocol[i];
                    unlistedMonitor += section.UnlistedMonitor;
                    var unlisted = section.Unlisted;
                    leftUsed.ByEpoch.Add((section.StartMicros, unlisted));
                    leftUsed.Bytes += unlisted.Bytes;
                    leftUsed.Packets += unlisted.Packets;
                    leftUsed.UnlistedBytes += unlisted.Bytes;
                    leftUsed.UnlistedPackets += unlisted.Packets;
                }
            }
        }
        if (stand is not null) merged.MergeFrom(stand.SealContents(), withListings: false);
    }

    private enum OwnerRecordState { Missing, Announced, Unannounced }

    /// <summary>
    /// Whether the section's owner has a merged record overlapping the section's epoch, and whether all such records
    /// list their addresses. A record of an owner that owned none of its addresses in that epoch (its capture began
    /// inside it and saw only its end, or it had only just announced them) counts as missing: the section stands for it.
    /// </summary>
    private static OwnerRecordState OwnerRecord(Dictionary<string, List<EpochRecord>> byOrigin, LeftToPeer section)
    {
        if (!byOrigin.TryGetValue(section.Peer, out var records)) return OwnerRecordState.Missing;
        var state = OwnerRecordState.Missing;
        foreach (var r in records)
        {
            if (r.Id.StartMicros >= section.EndMicros || section.StartMicros >= r.Id.EndMicros) continue;
            if (r.MonitoredAddresses is null) return OwnerRecordState.Unannounced;
            if (r.OwnedAnyAddress) state = OwnerRecordState.Announced;
        }
        return state;
    }

    private static (long, byte, IpAddress128, ushort, IpAddress128, ushort) Canonical(long epoch, LeftFlow f)
    {
        var k = Flows.FlowKey.FromDirected(f.Source, f.SourcePort, f.Destination, f.DestinationPort, f.Protocol, out _);
        return (epoch, k.Protocol, k.LowAddress, k.LowPort, k.HighAddress, k.HighPort);
    }
}
