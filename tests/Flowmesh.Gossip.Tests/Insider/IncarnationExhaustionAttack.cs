using Flowmesh.Gossip.Membership;

namespace Flowmesh.Gossip.Tests.Insider;

/// <summary>Suspect(X, 2^32-2) / Dead(X, 2^32-1): before, X refuted to uint.MaxValue and persisted it (it could never start again).</summary>
internal sealed class IncarnationExhaustionAttack : InsiderAttack
{
    private long _before;
    public override string Name => "accusations at the top incarnation";

    public override void Launch(InsiderCluster c)
    {
        _before = c.Sum(p => p.MembershipCounters.Refusals.AccusationAboveIncarnation);
        c.Rogue.Send(c.Victim.BoundEndpoint, new Suspect(c.Victim.Id, uint.MaxValue - 1, c.Rogue.Id));
        foreach (var p in c.Others) c.Rogue.Send(p.BoundEndpoint, new Dead(c.Victim.Id, uint.MaxValue, c.Rogue.Id));
    }

    public override (bool, string) Judge(InsiderCluster c)
    {
        var refused = c.Sum(p => p.MembershipCounters.Refusals.AccusationAboveIncarnation) - _before;
        return (refused >= 3 && c.VictimIncarnation < 1000, $"{refused} refused as above the signed incarnation, victim at {c.VictimIncarnation}");
    }
}
