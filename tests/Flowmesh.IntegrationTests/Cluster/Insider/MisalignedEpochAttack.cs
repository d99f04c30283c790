using Flowmesh.Core.Epochs;

namespace Flowmesh.IntegrationTests.Cluster.Insider;

/// <summary>The insider's own, certified record of one epoch's length that starts half-way into a slot: it lies across two slots of the grid.</summary>
internal sealed class MisalignedEpochAttack : RecordAttack
{
    private long? _before;
    private EpochRecord? _record;

    public override string Name => "record with a misaligned epoch";

    public override void Launch(InsiderTargets t)
    {
        _before = t.Sum(Rejected, ("reason", "misaligned"));
        var aligned = Slot(ClusterInsider.Name.Value, 7);
        _record = t.Insider.Record(aligned with { StartMicros = aligned.StartMicros + EpochMicros / 2 });
        PushToAll(t, t.Insider.Sealed(_record));
    }

    public override (bool, string) Judge(InsiderTargets t) => RefusedEverywhere(t, _before, "misaligned", _record!);
}
