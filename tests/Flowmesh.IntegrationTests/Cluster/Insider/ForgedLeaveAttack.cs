using Flowmesh.Gossip.Membership;

namespace Flowmesh.IntegrationTests.Cluster.Insider;

/// <summary>Leave(X), unsigned and signed with the insider's own certificate: before, X showed as left everywhere.</summary>
internal sealed class ForgedLeaveAttack : InsiderAttack
{
    private const string Metric = "flowmesh_gossip_membership_refused_total";
    private long? _unsigned, _credential;

    public override string Name => "forged Leave of a live member";

    public override void Launch(InsiderTargets t)
    {
        _unsigned = t.Sum(Metric, ("reason", "unsigned_claim"));
        _credential = t.Sum(Metric, ("reason", "credential_refused"));
        var leave = new Leave(t.VictimName, (uint)t.VictimIncarnation + 1);
        foreach (int node in t.Others) t.Insider.Send(node, leave, t.Insider.ClaimsAs(t.VictimName).Sign(leave));
    }

    public override (bool, string) Judge(InsiderTargets t)
    {
        var unsigned = Rise(_unsigned, t.Sum(Metric, ("reason", "unsigned_claim")));
        var credential = Rise(_credential, t.Sum(Metric, ("reason", "credential_refused")));
        var left = t.AnyoneSaw(t.VictimName.Value, m => m.State is "left" or "dead");
        return (!left && unsigned >= 2 && credential >= 2,
            $"{Shown(unsigned)} unsigned and {Shown(credential)} wrongly certified Leaves refused (membership_refused), left nowhere: {!left}");
    }
}
