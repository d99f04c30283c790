namespace Flowmesh.IntegrationTests.Cluster.Insider;

/// <summary>A record under a name nobody enrolled (a PC that has not joined yet), with the insider's bare key: first-use binding gave it the name for good.</summary>
internal sealed class UncertifiedNameAttack : RecordAttack
{
    private long? _before;

    public override string Name => "record under a name it holds no certificate for";

    public override void Launch(InsiderTargets t)
    {
        _before = t.Sum(Rejected, ("reason", "not_certified"));
        PushToAll(t, t.Insider.Uncertified(t.Insider.Record(Slot("n9", 3))));
    }

    public override (bool, string) Judge(InsiderTargets t)
    {
        var refused = Rise(_before, t.Sum(Rejected, ("reason", "not_certified")));
        var held = t.Honest.Sum(n => AgentCluster.Api(n).Records("n9").Count);
        return (refused >= t.Honest.Count && held == 0, $"{Shown(refused)} refused as not certified (records_rejected_by_reason), records of n9 held: {held}");
    }
}
