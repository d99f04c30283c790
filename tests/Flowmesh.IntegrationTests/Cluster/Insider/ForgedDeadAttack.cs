using Flowmesh.Gossip.Membership;

namespace Flowmesh.IntegrationTests.Cluster.Insider;

/// <summary>Dead(X) from an enrolled insider: before issue 16 every receiver marked X dead at once.</summary>
internal sealed class ForgedDeadAttack : InsiderAttack
{
    private long? _suspected;
    private long _refutations;

    public override string Name => "forged Dead of a live member";

    public override void Launch(InsiderTargets t)
    {
        _suspected = t.Sum("flowmesh_gossip_remote_deaths_suspected_total");
        _refutations = InsiderTargets.GossipStatus(t.Victim, "refutations");
        var incarnation = (uint)t.VictimIncarnation;
        foreach (int node in t.Others) t.Insider.Send(node, new Dead(t.VictimName, incarnation, ClusterInsider.Name));
    }

    public override (bool, string) Judge(InsiderTargets t)
    {
        var suspected = Rise(_suspected, t.Sum("flowmesh_gossip_remote_deaths_suspected_total"));
        var refuted = InsiderTargets.GossipStatus(t.Victim, "refutations") - _refutations;
        var dead = t.AnyoneSaw(t.VictimName.Value, m => m.State == "dead");
        return (!dead && refuted >= 1 && suspected >= 2,
            $"{Shown(suspected)} taken as accusations (remote_deaths_suspected), victim refuted {refuted} time(s) (status gossip.refutations), dead nowhere: {!dead}");
    }
}
