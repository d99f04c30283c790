using Flowmesh.Gossip.Membership;

namespace Flowmesh.IntegrationTests.Cluster.Insider;

/// <summary>Datagrams in X's name with sequence 2^64-1: before, every later packet of X was a "replay" at the receiver.</summary>
internal sealed class ReplayPoisonAttack : InsiderAttack
{
    private const string Metric = "flowmesh_gossip_dropped_packets_total";
    private long? _credential, _signature, _replayed;

    public override string Name => "replay-state poisoning with sequence 2^64-1";

    public override void Launch(InsiderTargets t)
    {
        _credential = t.Sum(Metric, ("reason", "credential_refused"));
        _signature = t.Sum(Metric, ("reason", "bad_signature"));
        _replayed = t.Sum(Metric, ("reason", "replayed"));
        var ping = new Ping(1, t.VictimName, t.VictimName);
        var victimCertificate = t.Insider.CertificateOf(t.Victim);
        foreach (int node in t.Others)
        {
            t.Insider.SendAs(t.VictimName, t.Insider.Bundle.Certificate.Encode(), ulong.MaxValue, node, ping); // own certificate, X's name
            t.Insider.SendAs(t.VictimName, victimCertificate, ulong.MaxValue - 1, node, ping);                 // X's certificate, own signature
        }
    }

    public override (bool, string) Judge(InsiderTargets t)
    {
        var credential = Rise(_credential, t.Sum(Metric, ("reason", "credential_refused")));
        var signature = Rise(_signature, t.Sum(Metric, ("reason", "bad_signature")));
        var replayed = Rise(_replayed, t.Sum(Metric, ("reason", "replayed")));
        var stillAlive = t.Others.All(n => InsiderTargets.ViewOf(n, t.VictimName.Value)?.IsAlive == true);
        return (credential >= 2 && signature >= 2 && replayed == 0 && stillAlive,
            $"{Shown(credential)} refused for the wrong certificate, {Shown(signature)} for a bad signature (gossip_dropped_packets), victim's own packets refused as replays since: {Shown(replayed)}, victim alive at the others: {stillAlive}");
    }
}
