using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Security;

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

/// <summary>One packet in X's name with sequence 2^64-1: before, every later packet of X was a "replay" at the receiver.</summary>
internal sealed class ReplayPoisonAttack : InsiderAttack
{
    private long _before, _replayedBefore;
    public override string Name => "replay-state poisoning with sequence 2^64-1";

    public override void Launch(InsiderCluster c)
    {
        _before = c.Sum(p => p.Counters.DatagramDrops.CredentialRefused + p.Counters.DatagramDrops.BadSignature);
        _replayedBefore = c.Sum(p => p.Counters.DatagramDrops.Replayed);
        var ping = new Ping(1, c.Victim.Id, c.Victim.Id);
        foreach (var p in c.Others)
        {
            c.Rogue.SendAs(c.Victim.Id, c.Rogue.Key.PublicKey, ulong.MaxValue, p.BoundEndpoint, ping);       // own key, X's name
            c.Rogue.SendAs(c.Victim.Id, VictimKey(c), ulong.MaxValue - 1, p.BoundEndpoint, ping);           // X's credential, own signature
        }
    }

    private static byte[] VictimKey(InsiderCluster c) => c.Victim.Claims.Sign(new Alive(c.Victim.Id, 0, c.Victim.LocalAddress)).Proof!.Credential;

    public override (bool, string) Judge(InsiderCluster c)
    {
        var refused = c.Sum(p => p.Counters.DatagramDrops.CredentialRefused + p.Counters.DatagramDrops.BadSignature) - _before;
        var replayed = c.Sum(p => p.Counters.DatagramDrops.Replayed) - _replayedBefore;
        return (refused >= 4 && replayed == 0, $"{refused} packets refused (wrong key, bad signature), victim's own packets refused as replays: {replayed}");
    }
}
