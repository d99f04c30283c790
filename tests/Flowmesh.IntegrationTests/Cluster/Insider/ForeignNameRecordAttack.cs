namespace Flowmesh.IntegrationTests.Cluster.Insider;

/// <summary>A record under another agent's name, signed with the insider's own valid certificate and key: the certificate names the insider, not the origin.</summary>
internal sealed class ForeignNameRecordAttack : RecordAttack
{
    private long? _before;
    private Core.Epochs.EpochRecord? _forged;

    public override string Name => "record under another agent's name with its own certificate";

    public override void Launch(InsiderTargets t)
    {
        _before = t.Sum(Rejected, ("reason", "certificate_for_another_node"));
        _forged = t.Insider.Record(Slot(t.VictimName.Value, 4));
        PushToAll(t, t.Insider.WithOwnCertificate(_forged));
    }

    public override (bool, string) Judge(InsiderTargets t) => RefusedEverywhere(t, _before, "certificate_for_another_node", _forged!);
}
