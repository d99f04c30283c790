using Flowmesh.Gossip.Membership;

namespace Flowmesh.IntegrationTests.Cluster.Insider;

/// <summary>Dead(X) then Alive(X, higher, the insider's address), unsigned and signed with the insider's own certificate: before, X's traffic moved to the attacker.</summary>
internal sealed class AddressTakeoverAttack : InsiderAttack
{
    private const string Metric = "flowmesh_gossip_membership_refused_total";
    private long? _unsigned, _credential;
    private string _address = "";

    public override string Name => "forged Dead then Alive with the insider's address";

    public override void Launch(InsiderTargets t)
    {
        _unsigned = t.Sum(Metric, ("reason", "unsigned_claim"));
        _credential = t.Sum(Metric, ("reason", "credential_refused"));
        _address = t.VictimAddress;
        var incarnation = (uint)t.VictimIncarnation;
        var next = incarnation + 1;
        var claim = new Alive(t.VictimName, next, t.Insider.Address);
        var forged = t.Insider.ClaimsAs(t.VictimName).Sign(claim);
        foreach (int node in t.Others) t.Insider.Send(node, new Dead(t.VictimName, incarnation, ClusterInsider.Name), claim, forged);
    }

    public override (bool, string) Judge(InsiderTargets t)
    {
        var unsigned = Rise(_unsigned, t.Sum(Metric, ("reason", "unsigned_claim")));
        var credential = Rise(_credential, t.Sum(Metric, ("reason", "credential_refused")));
        var moved = t.AnyoneSaw(t.VictimName.Value, m => m.Address != _address);
        return (!moved && unsigned >= 2 && credential >= 2,
            $"claims refused: {Shown(unsigned)} unsigned, {Shown(credential)} with the insider's certificate (membership_refused), address moved anywhere: {moved}");
    }
}
