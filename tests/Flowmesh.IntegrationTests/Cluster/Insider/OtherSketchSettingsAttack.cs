using Flowmesh.Core.Epochs;

namespace Flowmesh.IntegrationTests.Cluster.Insider;

/// <summary>The insider's own, certified record built with other sketch settings: before, the view kept whatever settings most records shared.</summary>
internal sealed class OtherSketchSettingsAttack : RecordAttack
{
    private long? _before;
    private EpochRecord? _record;

    public override string Name => "record with other sketch settings";

    public override void Launch(InsiderTargets t)
    {
        _before = t.Sum(Rejected, ("reason", "other_sketch_settings"));
        _record = t.Insider.Record(Slot(ClusterInsider.Name.Value, 5), options: new EpochSummaryOptions { TopCapacity = 16, DistinctPrecision = 10 });
        PushToAll(t, t.Insider.Sealed(_record));
    }

    public override (bool, string) Judge(InsiderTargets t) => RefusedEverywhere(t, _before, "other_sketch_settings", _record!);
}
