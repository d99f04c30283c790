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

    public override (bool, string) Judge(InsiderTargets t)
    {
        var refused = Rise(_before, t.Sum(Rejected, ("reason", "certificate_for_another_node")));
        var held = Holding(t, _forged!.Id, _forged.ContentHash);
        return (refused >= t.Honest.Count && held == 0,
            $"{Shown(refused)} refused as certificate for another node (records_rejected_by_reason), agents holding the forged {_forged.Id.Origin} record: {held}");
    }
}
