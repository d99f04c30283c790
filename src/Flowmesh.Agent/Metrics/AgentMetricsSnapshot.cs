namespace Flowmesh.Agent.Metrics;

/// <summary>
/// Everything /metrics shows, read from the running agent at scrape time. Every label set is fixed and small (reasons,
/// states, protocols): per-host or per-peer labels would grow with the network and are left to the JSON API.
/// </summary>
public sealed record AgentMetricsSnapshot
{
    public string Node { get; init; } = "";
    public long CapturePackets { get; init; }

    /// <summary>Packets lost before counting, by reason (kernel buffer, flow map full, undecodable).</summary>
    public IReadOnlyDictionary<string, long> CaptureDrops { get; init; } = new Dictionary<string, long>();

    /// <summary>Whether the capture is running: null with --capture none, false once it failed (see /api/v1/status).</summary>
    public bool? CaptureUp { get; init; }

    /// <summary>Exceptions caught on the capture thread, by stage (every stage present, 0 included).</summary>
    public IReadOnlyDictionary<string, long> CaptureErrors { get; init; } = new Dictionary<string, long>();

    public long FlowTableFlows { get; init; }
    public long FlowEvictions { get; init; }

    /// <summary>Own records sealed under a later interval than they watched (the wall clock was put back under this agent's records).</summary>
    public long RecordsMoved { get; init; }

    /// <summary>Steps of the wall clock back by more than an epoch, each of which sealed the open epoch early.</summary>
    public long ClockStepsBack { get; init; }

    /// <summary>Fill of the eBPF flow map at its last drain, 0..1; 0 when capturing with libpcap.</summary>
    public double EbpfMapFill { get; init; }

    public IReadOnlyDictionary<string, long> LocalTrafficBytes { get; init; } = new Dictionary<string, long>();
    public IReadOnlyDictionary<string, long> LocalTrafficPackets { get; init; } = new Dictionary<string, long>();

    /// <summary>Flowmesh's own traffic among the traffic this agent counted (its records' monitor totals).</summary>
    public long MonitorTrafficBytes { get; init; }
    public long MonitorTrafficPackets { get; init; }

    /// <summary>Packets seen but left to the agent that owns the flow (counted there, not here).</summary>
    public long ForeignPackets { get; init; }
    public IReadOnlyDictionary<string, long> CountedTwice { get; init; } = new Dictionary<string, long>();

    /// <summary>Addresses in this agent's ownership map: its own ("local") and those other agents announced ("peers").</summary>
    public IReadOnlyDictionary<string, long> MonitoredAddresses { get; init; } = new Dictionary<string, long>();

    /// <summary>Members as this node sees them, by state (alive, suspect, dead, left).</summary>
    public IReadOnlyDictionary<string, int> Members { get; init; } = new Dictionary<string, int>();

    public long GossipBytesSent { get; init; }
    public long GossipBytesReceived { get; init; }

    /// <summary>Gossip packets and frames refused, by reason (bad key, replay, malformed...).</summary>
    public IReadOnlyDictionary<string, long> GossipDrops { get; init; } = new Dictionary<string, long>();

    /// <summary>Gossip TCP connections closed without a reply, by reason (pre-authentication limits included).</summary>
    public IReadOnlyDictionary<string, long> GossipStreamRefusals { get; init; } = new Dictionary<string, long>();

    /// <summary>Received packets and calls dropped because the gossip event loop's queue was full.</summary>
    public long GossipLoopQueueDrops { get; init; }

    /// <summary>Refused membership claims, accusations and acks by reason (issue 16), every reason present.</summary>
    public IReadOnlyDictionary<string, long> MembershipRefusals { get; init; } = new Dictionary<string, long>();

    /// <summary>Dead about another member heard from a third node: taken as suspicion its subject can refute.</summary>
    public long RemoteDeathsSuspected { get; init; }

    /// <summary>Node credentials refused, by (stage, reason): packet, membership or record; each refusal counted once, where it happened.</summary>
    public IReadOnlyDictionary<(string Stage, string Reason), long> CredentialRefusals { get; init; } = new Dictionary<(string, string), long>();

    /// <summary>Revocation lists received from peers, learned (installed) from peers, and refused (any source).</summary>
    public IReadOnlyDictionary<string, long> RevocationLists { get; init; } = new Dictionary<string, long>();

    /// <summary>The serial of the revocation list in force (0: none) and how many certificates it revokes.</summary>
    public long RevocationListSerial { get; init; }
    public long RevokedCertificates { get; init; }

    /// <summary>Distinct name conflicts detected since start, and those still seen recently.</summary>
    public long NameConflictsDetected { get; init; }
    public long NameConflictsActive { get; init; }
    public double ClockOffsetSeconds { get; init; }
    public double ClockMaxOffsetSeconds { get; init; }
    public long ClockPeersSampled { get; init; }
    public long ClockSkewedMembers { get; init; }
    public long RecordsAcceptedFromSkewedClocks { get; init; }
    public long RetentionHeldBack { get; init; }

    /// <summary>API requests refused by the Host check (DNS rebinding) and the cost caps, by reason.</summary>
    public IReadOnlyDictionary<string, long> ApiRefusals { get; init; } = new Dictionary<string, long>();

    /// <summary>Drill-down flow log rows by outcome (written, dropped: over the per-epoch cap or the writer's backlog).</summary>
    public IReadOnlyDictionary<string, long> FlowLogRows { get; init; } = new Dictionary<string, long>();

    /// <summary>Drill-down queries from members by outcome (served, malformed, failed).</summary>
    public IReadOnlyDictionary<string, long> FlowQueries { get; init; } = new Dictionary<string, long>();

    /// <summary>IPFIX export (--ipfix), all collectors: messages, records, send_errors, records_lost, flows_dropped.</summary>
    public IReadOnlyDictionary<string, long> IpfixExport { get; init; } = new Dictionary<string, long>();

    /// <summary>Host-context counters by "source.what" (docs/metrics.md, flowmesh_host_context_events_total).</summary>
    public IReadOnlyDictionary<string, long> HostContext { get; init; } = new Dictionary<string, long>();

    public long RecordsSealed { get; init; }
    public long RecordsStored { get; init; }
    public long RecordsStoredBytes { get; init; }
    public long RecordsRejected { get; init; }

    /// <summary>Refused peer records by reason (issue 16 added other_sketch_settings and misaligned), snake_case.</summary>
    public IReadOnlyDictionary<string, long> RecordsRejectedByReason { get; init; } = new Dictionary<string, long>();

    /// <summary>Verified records the store refused (issue 16's slot rule: overlapping, slot_full; and below_horizon).</summary>
    public IReadOnlyDictionary<string, long> RecordsRefusedByStore { get; init; } = new Dictionary<string, long>();

    /// <summary>Records retention deleted, by cause: age (a tier's retention) or byte_budget (their origin over its fair share).</summary>
    public IReadOnlyDictionary<string, long> RecordsPruned { get; init; } = new Dictionary<string, long>();

    /// <summary>The oldest "newest record" among live members: how far behind the freshest global view is.</summary>
    public double RecordLagSeconds { get; init; }

    /// <summary>Live members with a record in the last two epochs, as a share of live members.</summary>
    public double Coverage { get; init; }

    /// <summary>Whole-network traffic of the last minute from the merged view; null while no view exists yet.</summary>
    public double? ClusterBytesPerSecond { get; init; }

    /// <summary>Flowmesh's own share of <see cref="ClusterBytesPerSecond"/>: what the monitor costs the network.</summary>
    public double? ClusterMonitorBytesPerSecond { get; init; }

    /// <summary>Origins the last minute's view flags by cross-check: their accounts of shared traffic disagree with their peers' (docs/cross-check.md).</summary>
    public long CrossCheckFlaggedOrigins { get; init; }

    public double ProcessCpuSeconds { get; init; } = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
    public long ProcessResidentBytes { get; init; } = Environment.WorkingSet;
    public double ProcessStartTimeSeconds { get; init; } = Core.UnixMicros.ToSeconds(Core.UnixMicros.FromInstant(new DateTimeOffset(System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime())));
}
