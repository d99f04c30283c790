using Flowmesh.Gossip.Membership;

namespace Flowmesh.Gossip.Tests.Insider;

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
