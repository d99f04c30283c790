using Flowmesh.Agent.Storage;
using Flowmesh.Agent.ViewSources;
using Flowmesh.Core.Detections;
using Flowmesh.Core.Sketches;
using Flowmesh.Core.Views;
using Flowmesh.Gossip.Membership;

namespace Flowmesh.Agent.Hosting;

/// <summary>
/// The agent's global view and what feeds it: built from the store on demand, at most once per epoch per window
/// (<see cref="ViewCache"/>), shared by the API, the dashboard, the metrics and the detection rounds; and automatic
/// ownership (issue 12), this PC's captured addresses and the ones other origins announce in their records.
/// </summary>
internal sealed record AgentViews(AddressOwnership Ownership, ViewCache Cache, DetectionRounds Detections)
{
    public static AgentViews Create(AgentDatabase database, SketchHashKey sketchKey, string self, Func<IReadOnlyList<ExpectedOrigin>> expected,
        ClusterTime clusterTime, TimeSpan epochLength)
    {
        var records = new RecordStoreViewSource(database.Records, sketchKey, expected, clusterTime, epochLength);
        var source = new ZonedViewSource(records); // the records alone until zone replication starts (UseZones)
        var ownership = new AddressOwnership(self, database.Records, sketchKey,
            TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(60).Ticks, 6 * epochLength.Ticks)), epochLength);
        // Records the validator (or the sealer) just decoded reach the view and the ownership decoded: never decoded twice.
        database.Records.Written += records.Remember;
        database.Records.Written += ownership.Remember;
        // Issue 16: the view merges the cluster's sketch settings, never "the settings most records share".
        var cache = new ViewCache(source, viewOptions: GlobalViewOptions.Default with
        {
            EpochLength = epochLength, SketchSettings = Core.Epochs.EpochRecord.SketchSettingsOf(sketchKey, Core.Epochs.EpochSummaryOptions.Default),
        });
        return new AgentViews(ownership, cache, new DetectionRounds(cache, new DetectionEngine()));
    }

    /// <summary>
    /// With `--zone-replication`: the views merge other zones' aggregates with the own leaf's records from now on
    /// (docs/zones.md "The view: one representation per subtree"); without it (<paramref name="zoned"/> null) nothing changes.
    /// </summary>
    public static void UseZones(ViewCache cache, ZonedReplication? zoned)
    {
        if (zoned is null || cache.Source is not ZonedViewSource source) return;
        source.UseZones(zoned.Directory, zoned.Aggregates, ZonedReplication.ProducerOptions.Period);
    }
}
