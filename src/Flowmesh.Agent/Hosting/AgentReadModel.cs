using System.Diagnostics;
using Flowmesh.Agent.Api;
using Flowmesh.Agent.Output;
using Flowmesh.Agent.Storage;
using Flowmesh.Agent.ViewSources;
using Flowmesh.Gossip;
using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Records;
using Flowmesh.Gossip.Transport;

namespace Flowmesh.Agent.Hosting;

/// <summary>
/// The running agent as the API and /metrics see it: every call reads the live parts and returns a fresh snapshot,
/// safe from any thread. It owns no state; <see cref="AgentRuntime"/> builds it once everything it reads has started.
/// The metrics are in AgentReadModel.Metrics.cs.
/// </summary>
internal sealed partial class AgentReadModel : IAgentReadModel
{
    public required NodeId Self { get; init; }

    /// <summary>This agent's zone path (label, then hashed digits).</summary>
    public required Core.Zones.ZonePath Zone { get; init; }
    public required AgentOptions Options { get; init; }
    /// <summary>Started with the agent: its uptime.</summary>
    public required Stopwatch Uptime { get; init; }
    /// <summary>Started right before the gossip peer: members' ages are read on it.</summary>
    public required Stopwatch PeerClock { get; init; }
    public required AgentDatabase Database { get; init; }
    public required GossipPeer Peer { get; init; }
    public required RecordValidator Validator { get; init; }
    public required ReplicationCounters Replication { get; init; }
    public required RetentionClock RetentionClock { get; init; }
    public required AddressOwnership Ownership { get; init; }
    public required ViewCache Views { get; init; }
    public required OwnRecordPublisher Published { get; init; }
    public required AgentDrillDown DrillDown { get; init; }
    public required ApiRefusals ApiRefusals { get; init; }
    /// <summary>Null when the agent runs without capture.</summary>
    public CapturePipeline? Capture { get; init; }

    /// <summary>The IPFIX exporters (--ipfix), or null without any.</summary>
    public Export.IpfixFlowListener? Ipfix { get; init; }

    public MembersResponse Members()
    {
        var now = PeerClock.Elapsed;
        var conflicts = Peer.NameConflicts.ToLookup(c => c.Node);
        var clocks = Peer.Clocks;
        return new MembersResponse(Self.Value, [.. Peer.Members
            .OrderBy(m => m.Id.Value, StringComparer.Ordinal)
            .Select(m => new MemberEntry(m.Id.Value, m.Address.Value, StateName(m.State), m.Incarnation,
                Math.Round(Math.Max(0, (now - m.StateChangedAt).TotalSeconds), 3))
            {
                ConflictingAddresses = [.. conflicts[m.Id].Select(c => c.ClaimedAddress.Value).Distinct().Order(StringComparer.Ordinal)],
                ClockOffsetSeconds = ClockOffsetOf(clocks, m.Id) is { } offset ? Seconds(offset) : null,
                ClockSkewed = ClockOffsetOf(clocks, m.Id) is { } skew && clocks.Skewed(skew),
            })]);
    }

    public StatusResponse Status()
    {
        var store = Database.Records;
        var digest = store.Digest();
        long nowMicros = Core.UnixMicros.Now();
        var origins = store.NewestPerOrigin()
            .Select(r => new OriginStatus(r.Id.Origin, digest.FirstOrDefault(d => d.Origin == r.Id.Origin).Count,
                Core.UnixMicros.Format(r.Id.StartMicros), Math.Round(Core.UnixMicros.ToSeconds(nowMicros - r.Id.EndMicros), 3)))
            .ToList();
        var members = Peer.Members;
        var transport = Peer.Counters;
        var protocol = Peer.MembershipCounters;
        return new StatusResponse(
            Self.Value,
            Peer.Incarnation,
            Math.Round(Uptime.Elapsed.TotalSeconds, 3),
            Options.EpochLength.TotalSeconds,
            new CaptureStatus(Capture?.Description, Capture?.Packets ?? 0, Capture?.Drops ?? 0, Capture?.Error,
                Capture?.State ?? "off", Capture?.Errors.Snapshot() ?? CaptureErrors.Labels.ToDictionary(l => l, _ => 0L)),
            new RecordCounts(Published.Sealed, digest.Sum(d => (long)d.Count), Published.SkippedAlreadyStored, Published.StoreFailures),
            origins,
            new GossipStatus(
                members.Count,
                members.Count(m => m.State == MemberState.Alive),
                transport.DatagramsSent,
                transport.DatagramBytesSent + transport.StreamBytesSent,
                transport.DatagramsReceived,
                transport.DatagramBytesReceived + transport.StreamBytesReceived,
                protocol.MalformedPackets,
                transport.DatagramDrops.Total + transport.StreamDrops.Total + transport.StreamRefusals,
                protocol.Refutations,
                protocol.PushPulls,
                Replication.RecordsPulled + Replication.RecordsReceivedByPush,
                Validator.Rejections.Total))
        {
            Ownership = Ownership.Ownership.Addresses is { } book
                ? new OwnershipStatus([.. book.Local.Select(a => a.ToString())],
                    book.ByOrigin().ToDictionary(p => p.Key, p => (IReadOnlyList<string>)[.. p.Value.Select(a => a.ToString())], StringComparer.Ordinal))
                : null,
            Clock = ClockStatus(),
            Zone = Zone.Text,
        };
    }

    public RecordsResponse Records(string? origin, long fromMicros, long toMicros, int limit)
    {
        var store = Database.Records;
        IEnumerable<string> origins = origin is not null ? [origin] : store.Digest().Select(d => d.Origin);
        // Ids first (small), newest first; then one query for the selected span only, so a wide window never loads
        // more envelopes than about `limit`.
        var ids = origins
            .SelectMany(store.IdsOf)
            .Where(id => id.StartMicros >= fromMicros && id.StartMicros < toMicros)
            .OrderByDescending(id => id.StartMicros).ThenBy(id => id.Origin, StringComparer.Ordinal)
            .Take(limit + 1)
            .ToList();
        var selected = ids.Take(limit).ToList();
        if (selected.Count == 0) return new RecordsResponse([], ids.Count > limit);
        long oldest = selected.Min(id => id.StartMicros), newest = selected.Max(id => id.StartMicros);
        var held = store.RecordsBetween(oldest, newest + 1, origin).ToDictionary(r => r.Id);
        var entries = new List<RecordEntry>(selected.Count);
        foreach (var id in selected)
        {
            if (!held.TryGetValue(id, out var record)) continue; // pruned in between
            entries.Add(new RecordEntry(id.Origin, Core.UnixMicros.Format(id.StartMicros), id.StartMicros, id.LengthMicros, record.SignedEnvelope.Length, record.ContentHash));
        }
        return new RecordsResponse(entries, ids.Count > limit);
    }

    private ClockStatus ClockStatus()
    {
        var clocks = Peer.Clocks;
        return new ClockStatus(Seconds(clocks.Self), clocks.Sampled, clocks.Alert.TotalSeconds,
            [.. clocks.SkewedMembers(Self).Select(m => new SkewedClock(m.Node.Value, Seconds(m.Offset),
                $"the clock of {m.Node}{(m.Node == Self ? " (this agent)" : "")} is {ClockText.Offset(m.Offset)} off the cluster's time; " +
                "its records are accepted and marked, but fix its time synchronisation (NTP)"))],
            Validator.AcceptedFromSkewedClocks, RetentionClock.HeldBack);
    }

    /// <summary>A member's clock against the cluster's time: self always (zero when alone), peers once sampled.</summary>
    private TimeSpan? ClockOffsetOf(ClockEstimate clocks, NodeId member) =>
        member == Self ? clocks.Self : clocks.Peers.TryGetValue(member, out var offset) ? offset : null;

    /// <summary>Milliseconds are what a round trip can resolve; + 0.0 turns a rounded -0 into 0 for the JSON.</summary>
    private static double Seconds(TimeSpan offset) => Math.Round(offset.TotalSeconds, 3) + 0.0;

    private static string StateName(MemberState state) => state switch
    {
        MemberState.Alive => "alive",
        MemberState.Suspect => "suspect",
        MemberState.Dead => "dead",
        MemberState.Left => "left",
        _ => state.ToString().ToLowerInvariant(),
    };
}
