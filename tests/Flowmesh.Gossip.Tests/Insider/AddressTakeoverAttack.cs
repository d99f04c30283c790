using Flowmesh.Gossip.Membership;

namespace Flowmesh.Gossip.Tests.Insider;

/// <summary>Dead(X) then Alive(X, higher, attacker's address): before, X's traffic moved to the attacker.</summary>
internal sealed class AddressTakeoverAttack : InsiderAttack
{
    private long _before;
    public override string Name => "forged Dead then Alive with the attacker's address";

    public override void Launch(InsiderCluster c)
    {
        _before = c.Sum(p => p.MembershipCounters.Refusals.CredentialRefused + p.MembershipCounters.Refusals.UnsignedClaim);
        var next = c.VictimIncarnation + 1;
        var forged = c.Rogue.ClaimsAs(c.Victim.Id).Sign(new Alive(c.Victim.Id, next, c.Rogue.Address));
        foreach (var p in c.Others)
            c.Rogue.Send(p.BoundEndpoint, new Dead(c.Victim.Id, c.VictimIncarnation, c.Rogue.Id),
                new Alive(c.Victim.Id, next, c.Rogue.Address), forged);
    }

    public override (bool, string) Judge(InsiderCluster c)
    {
        var refused = c.Sum(p => p.MembershipCounters.Refusals.CredentialRefused + p.MembershipCounters.Refusals.UnsignedClaim) - _before;
        var moved = c.Others.Count(p => c.ViewOf(p, c.Victim)?.Address != c.Victim.LocalAddress);
        return (refused >= 4 && moved == 0, $"{refused} claims refused (unsigned, wrong key), address moved at {moved} peers");
    }
}
