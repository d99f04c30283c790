using System.Diagnostics;
using Flowmesh.Agent.Drill;
using Flowmesh.Agent.Output;
using Flowmesh.Agent.Storage;
using Flowmesh.Agent.ViewSources;
using Flowmesh.Gossip;
using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Transport;

namespace Flowmesh.Agent.Hosting;

/// <summary>
/// What a running agent does on its own, once a second: re-reads address ownership, saves the membership snapshot
/// and the incarnation, runs the detection round that is due, and once a minute applies retention to the records and
/// to the flow log. A failed step is logged and the loop goes on: none of them may stop the others.
/// </summary>
internal sealed class AgentMaintenance(
    AgentOptions options,
    TextWriter log,
    NodeId self,
    AgentDatabase database,
    GossipPeer peer,
    Stopwatch uptime,
    Stopwatch peerClock,
    Func<TimeSpan, long> peerTimeToWallMicros,
    AddressOwnership ownership,
    DetectionRounds detections,
    RetentionClock retentionClock)
{
    private uint _savedIncarnation = database.Incarnation;
    private bool _membershipChanged;
    private bool _retentionHeldBackLogged;

    /// <summary>
    /// On gossip's thread. A refutation raises our incarnation: it is persisted at once so a restart outbids it (the
    /// database adds one at open); any other change only marks the snapshot for the next save.
    /// </summary>
    public void OnMemberChanged(Member member)
    {
        Volatile.Write(ref _membershipChanged, true);
        if (member.Id == self && member.Incarnation > Volatile.Read(ref _savedIncarnation))
        {
            try
            {
                database.SaveIncarnation(member.Incarnation);
                Volatile.Write(ref _savedIncarnation, member.Incarnation);
            }
            catch (Exception e) when (e is AgentDatabaseException or Microsoft.Data.Sqlite.SqliteException or ObjectDisposedException)
            {
                log.WriteLine($"flowmesh: could not save incarnation {member.Incarnation}: {e.Message}");
            }
        }
    }

    /// <summary>
    /// The membership snapshot is saved within two seconds of a change (so a node killed right after its cluster
    /// formed still knows whom to rejoin) and every snapshot interval anyway; retention runs every minute.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var lastPrune = TimeSpan.Zero;
        var lastSave = TimeSpan.Zero;
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
                var now = uptime.Elapsed;
                RefreshOwnership();
                if ((Volatile.Read(ref _membershipChanged) && now - lastSave >= TimeSpan.FromSeconds(2)) || now - lastSave >= options.SnapshotInterval)
                {
                    Volatile.Write(ref _membershipChanged, false);
                    lastSave = now;
                    SaveSnapshot();
                }
                // Alerts are raised even when nobody looks: at most one detection round per epoch.
                try
                {
                    detections.EvaluateIfDue();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A failed round must not stop this loop: it also saves the membership snapshot and prunes.
                    log.WriteLine($"flowmesh: detection round failed: {e.GetType().Name}: {e.Message}");
                }
                if (now - lastPrune >= TimeSpan.FromMinutes(1))
                {
                    lastPrune = now;
                    PruneRecords();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>The flow log's retention, every minute, off this loop: a large delete must not hold up the snapshot.</summary>
    public async Task PruneFlowLogAsync(FlowLog flowLog, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromMinutes(1), cancellationToken).ConfigureAwait(false);
                try
                {
                    long deleted = await Task.Run(() => flowLog.Prune(retentionClock.Now().Now), cancellationToken).ConfigureAwait(false);
                    if (deleted > 0) log.WriteLine($"flowmesh: flow log retention removed {deleted} rows");
                }
                catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or ObjectDisposedException)
                {
                    log.WriteLine($"flowmesh: flow log retention failed: {e.Message}");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Re-reads this PC's addresses and the announced ones; the next flows the capture decides use them.</summary>
    public void RefreshOwnership()
    {
        try
        {
            var members = new List<MemberEndpoint>();
            foreach (var m in peer.Members)
            {
                if (GossipEndpoint.TryParse(m.Address.Value, out var endpoint, out _) && endpoint is not null)
                    members.Add(new MemberEndpoint(m.Id.Value, Core.Packets.IpAddress128.From(endpoint.Address.IsIPv4MappedToIPv6 ? endpoint.Address.MapToIPv4() : endpoint.Address),
                        (ushort)endpoint.Port, m.State is MemberState.Alive or MemberState.Suspect, peerTimeToWallMicros(m.StateChangedAt)));
            }
            if (ownership.Refresh(Core.UnixMicros.Now(), members, (ushort)(peer.BoundEndpoint?.Port ?? 0)))
            {
                var book = ownership.Ownership.Addresses!;
                log.WriteLine($"flowmesh: monitoring {book.Local.Count} local addresses ({string.Join(", ", book.Local)}); {book.OtherCount} addresses of {book.OtherOrigins.Count()} other agents known");
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.WriteLine($"flowmesh: ownership refresh failed: {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>Saves the membership snapshot, and the incarnation when gossip raised it since the last save.</summary>
    public void SaveSnapshot()
    {
        try
        {
            var now = peerClock.Elapsed;
            var wall = DateTimeOffset.UtcNow;
            database.Membership.Save(peer.Members.Select(m => PersistedMember.From(m, now, wall)), wall);
            if (peer.Incarnation > Volatile.Read(ref _savedIncarnation))
            {
                database.SaveIncarnation(peer.Incarnation);
                Volatile.Write(ref _savedIncarnation, peer.Incarnation);
            }
        }
        catch (Exception e) when (e is AgentDatabaseException or Microsoft.Data.Sqlite.SqliteException or ObjectDisposedException)
        {
            log.WriteLine($"flowmesh: could not save the membership snapshot: {e.Message}");
        }
    }

    private void PruneRecords()
    {
        try
        {
            var (retentionNow, heldBackBy) = retentionClock.Now();
            if (heldBackBy > TimeSpan.Zero && !_retentionHeldBackLogged)
                log.WriteLine($"flowmesh: the wall clock is {ClockText.Offset(heldBackBy)} ahead of the time retention allows (the monotonic clock, unconfirmed by peers); retention keeps following the monotonic clock, so nothing extra is deleted");
            _retentionHeldBackLogged = heldBackBy > TimeSpan.Zero;
            var pruned = database.Records.Prune(retentionNow);
            if (pruned.RecordsDeleted > 0)
                log.WriteLine($"flowmesh: retention removed {pruned.RecordsDeleted} records ({pruned.BytesDeleted} bytes)");
        }
        catch (Exception e) when (e is AgentDatabaseException or Microsoft.Data.Sqlite.SqliteException)
        {
            log.WriteLine($"flowmesh: retention failed: {e.Message}");
        }
    }
}
