using Flowmesh.Core.Epochs;

namespace Flowmesh.IntegrationTests.Cluster.Insider;

/// <summary>
/// More than one record of the insider in one (origin, epoch slot): a whole-epoch record, then two more over the same
/// time. Only non-overlapping parts may share a slot (EpochSlotRule); with the cluster's 2 s epochs and records of at
/// least 1 s, every further record overlaps, so the store refuses it as overlapping (slot_full needs longer epochs).
/// </summary>
internal sealed class SecondRecordInSlotAttack : RecordAttack
{
    private long? _before;
    private EpochId _slot;

    public override string Name => "more than one record per (origin, epoch slot)";

    public override void Launch(InsiderTargets t)
    {
        _before = t.Sum(StoreRefused, ("reason", "overlapping"));
        _slot = Slot(ClusterInsider.Name.Value, 9);
        PushToAll(t, t.Insider.Sealed(t.Insider.Record(_slot)));
        var half = EpochMicros / 2;
        PushToAll(t, t.Insider.Sealed(t.Insider.Record(_slot with { LengthMicros = half })),
            t.Insider.Sealed(t.Insider.Record(_slot with { StartMicros = _slot.StartMicros + half, LengthMicros = half })));
    }

    public override (bool, string) Judge(InsiderTargets t)
    {
        var refused = Rise(_before, t.Sum(StoreRefused, ("reason", "overlapping")));
        var inSlot = t.Honest.Select(n => AgentCluster.Api(n).Records(ClusterInsider.Name.Value).Keys
            .Count(k => k.StartMicros >= _slot.StartMicros && k.StartMicros < _slot.EndMicros)).ToList();
        return (refused >= 2 * t.Honest.Count && inSlot.All(c => c == 1),
            $"{Shown(refused)} refused as overlapping (records_store_refused), the insider's records in that slot per agent: {string.Join(", ", inSlot)}");
    }
}
