using Flowmesh.Gossip.Membership;

namespace Flowmesh.IntegrationTests.Cluster.Insider;

/// <summary>Suspect(X, 2^32-2) / Dead(X, 2^32-1): before, X refuted to uint.MaxValue and persisted it (it could never start again).</summary>
internal sealed class IncarnationExhaustionAttack : InsiderAttack
{
    private const string Metric = "flowmesh_gossip_membership_refused_total";
    private long? _before;

    public override string Name => "accusations at the top incarnation";

    public override void Launch(InsiderTargets t)
    {
        _before = t.Sum(Metric, ("reason", "accusation_above_incarnation"));
        t.Insider.Send(t.Victim, new Suspect(t.VictimName, uint.MaxValue - 1, ClusterInsider.Name));
        foreach (int node in t.Others) t.Insider.Send(node, new Dead(t.VictimName, uint.MaxValue, ClusterInsider.Name));
    }

    public override (bool, string) Judge(InsiderTargets t)
    {
        var refused = Rise(_before, t.Sum(Metric, ("reason", "accusation_above_incarnation")));
        var incarnation = t.VictimIncarnation;
        var highest = t.Honest.Max(n => InsiderTargets.ViewOf(n, t.VictimName.Value)?.Incarnation ?? 0);
        var dead = t.AnyoneSaw(t.VictimName.Value, m => m.State == "dead");
        return (refused >= 3 && highest < 1000 && !dead,
            $"{Shown(refused)} refused as above the signed incarnation (membership_refused{{accusation_above_incarnation}}), victim at incarnation {incarnation}, highest seen {highest}, dead nowhere: {!dead}");
    }
}
