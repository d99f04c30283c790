namespace Flowmesh.Agent.Api;

/// <summary>GET /api/v1/status: the agent's own health at a glance (docs/api.md).</summary>
internal sealed record StatusResponse(
    string Name,
    uint Incarnation,
    double UptimeSeconds,
    double EpochSeconds,
    CaptureStatus Capture,
    RecordCounts Records,
    IReadOnlyList<OriginStatus> Origins,
    GossipStatus Gossip)
{
    /// <summary>Who owns which address, as this agent decides flow ownership now (docs/agent.md, "Counting each flow once").</summary>
    public OwnershipStatus? Ownership { get; init; }

    /// <summary>Clocks against the cluster's time (docs/membership.md, "Clocks").</summary>
    public ClockStatus? Clock { get; init; }

    /// <summary>This agent's zone path, named in every record it seals (docs/zones.md).</summary>
    public string? Zone { get; init; }
}

/// <summary>
/// OffsetSeconds: this node's clock minus the cluster's time (the median of all members' clocks, measured through the
/// membership round trips). PeersSampled: peers it was measured against (0: alone, offset 0). Skewed: every member,
/// this one included, whose clock is at least AlertSeconds off: the skew alert. RecordsAcceptedFromSkewedClocks:
/// records that started "in the future" and were accepted because their origin's measured clock explains it.
/// RetentionHeldBack: prunes that the wall clock wanted later than the monotonic clock allowed (a jump).
/// </summary>
internal sealed record ClockStatus(double OffsetSeconds, int PeersSampled, double AlertSeconds, IReadOnlyList<SkewedClock> Skewed,
    long RecordsAcceptedFromSkewedClocks, long RetentionHeldBack);

/// <summary>One member whose clock is off by the alert threshold or more; Message says so for people.</summary>
internal sealed record SkewedClock(string Name, double OffsetSeconds, string Message);

/// <summary>
/// This PC's monitored addresses (every address of every captured interface, announced in its records) and the
/// addresses other agents announced, by origin. A flow between two monitored addresses is counted by the agent of the
/// lower one; the other lists it in its "left to peer" record section.
/// </summary>
internal sealed record OwnershipStatus(IReadOnlyList<string> Local, IReadOnlyDictionary<string, IReadOnlyList<string>> Peers);

/// <summary>
/// Source is null when the agent runs with --capture none. Packets and drops are since the agent started. State:
/// running, failed (the capture ended on its own; Error says why; the agent goes on without it), stopped, or off.
/// Errors: exceptions caught on the capture thread by stage, each one a dropped delta, epoch or drain.
/// </summary>
internal sealed record CaptureStatus(string? Source, long Packets, long Drops, string? Error, string State, IReadOnlyDictionary<string, long> Errors);

/// <summary>
/// Sealed: own records sealed since start. Stored: records held of every origin. SkippedAlreadyStored: epochs not
/// sealed because a record with the same id was already stored (a quick restart within one epoch).
/// </summary>
internal sealed record RecordCounts(long Sealed, long Stored, long SkippedAlreadyStored, long StoreFailures);

/// <summary>What this node holds of one origin; NewestAgeSeconds = now minus the end of its newest epoch.</summary>
internal sealed record OriginStatus(string Origin, int Records, string NewestEpochStart, double NewestAgeSeconds);

internal sealed record GossipStatus(
    int Members,
    int Alive,
    long PacketsSent,
    long BytesSent,
    long PacketsReceived,
    long BytesReceived,
    long MalformedPackets,
    long DroppedPackets,
    long Refutations,
    long PushPulls,
    long RecordsReceived,
    long RecordsRejected);
