using Flowmesh.Gossip.Membership;

namespace Flowmesh.Gossip.Tests.Insider;

/// <summary>Leave(X) from a key holder: before, X showed as Left everywhere.</summary>
internal sealed class ForgedLeaveAttack : InsiderAttack
{
    private long _before;
    public override string Name => "forged Leave of a live member";

    public override void Launch(InsiderCluster c)
    {
        _before = c.Sum(p => p.MembershipCounters.Refusals.CredentialRefused + p.MembershipCounters.Refusals.UnsignedClaim);
        var next = c.VictimIncarnation + 1;
        foreach (var p in c.Others)
            c.Rogue.Send(p.BoundEndpoint, new Leave(c.Victim.Id, next), c.Rogue.ClaimsAs(c.Victim.Id).Sign(new Leave(c.Victim.Id, next)));
    }

    public override (bool, string) Judge(InsiderCluster c)
    {
        var refused = c.Sum(p => p.MembershipCounters.Refusals.CredentialRefused + p.MembershipCounters.Refusals.UnsignedClaim) - _before;
        return (refused >= 4 && !c.AnyoneSaw(c.Victim.Id, MemberState.Left), $"{refused} refused, left nowhere");
    }
}
