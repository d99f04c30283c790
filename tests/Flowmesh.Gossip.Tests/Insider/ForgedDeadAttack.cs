using Flowmesh.Gossip.Membership;

namespace Flowmesh.Gossip.Tests.Insider;

/// <summary>Dead(X) from a key holder: before issue 16 every receiver marked X dead at once.</summary>
internal sealed class ForgedDeadAttack : InsiderAttack
{
    private long _before;
    public override string Name => "forged Dead of a live member";

    public override void Launch(InsiderCluster c)
    {
        _before = c.Sum(p => p.MembershipCounters.RemoteDeathsSuspected);
        foreach (var p in c.Others) c.Rogue.Send(p.BoundEndpoint, new Dead(c.Victim.Id, c.VictimIncarnation, c.Rogue.Id));
    }

    public override (bool, string) Judge(InsiderCluster c)
    {
        var suspected = c.Sum(p => p.MembershipCounters.RemoteDeathsSuspected) - _before;
        return (suspected >= 2 && !c.AnyoneSaw(c.Victim.Id, MemberState.Dead),
            $"{suspected} taken as accusations, victim refuted, dead nowhere");
    }
}
