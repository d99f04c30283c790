using System.Diagnostics.Metrics;

namespace Flowmesh.Agent.Metrics;

/// <summary>
/// The counters and gauges, in the order /metrics lists them. Each comment-free line is one row of docs/metrics.md;
/// the Prometheus name in that table is <see cref="PrometheusNames.Of(string, string?, bool)"/> of the name and unit here.
/// </summary>
public sealed partial class AgentMeter
{
    private static readonly string[] MemberStates = ["alive", "suspect", "dead", "left"];
    private static readonly string[] Protocols = ["tcp", "udp", "icmp", "other"];

    private void CreateObservables()
    {
        Meter.CreateObservableGauge("flowmesh.agent.info", () => Observe<long>(s => new Measurement<long>(1, new KeyValuePair<string, object?>("node", s.Node))),
            null, "Always 1; the node name as a label.");

        Counter("flowmesh.capture.packets", "{packet}", "Packets counted by this agent's capture.", s => s.CapturePackets);
        CounterBy("flowmesh.capture.drops", "{packet}", "Packets lost before counting, by reason.", "reason", s => s.CaptureDrops, ["kernel", "map_full", "undecodable"]);
        Meter.CreateObservableGauge("flowmesh.capture.up", () => Observe<long>(s => s.CaptureUp is bool up ? new Measurement<long>(up ? 1 : 0) : (Measurement<long>?)null),
            null, "1 while the capture runs, 0 once it failed (the agent goes on without it).");
        CounterBy("flowmesh.capture.errors", "{error}", "Exceptions caught on the capture thread, by stage; each dropped one flow delta, epoch or drain.", "stage", s => s.CaptureErrors, []);
        Gauge("flowmesh.flow_table.flows", "{flow}", "Flows in the flow table now.", s => s.FlowTableFlows);
        Counter("flowmesh.flow.evictions", "{flow}", "Flows evicted because the flow table was full.", s => s.FlowEvictions);
        Gauge("flowmesh.ebpf.map_fill_ratio", "1", "Fill of the eBPF flow map at its last drain (0 with libpcap).", s => s.EbpfMapFill);
        CounterBy("flowmesh.local.traffic", "By", "Bytes this agent counted (flows it owns), by protocol.", "protocol", s => s.LocalTrafficBytes, Protocols);
        CounterBy("flowmesh.local.traffic.packets", "{packet}", "Packets this agent counted (flows it owns), by protocol.", "protocol", s => s.LocalTrafficPackets, Protocols);
        Counter("flowmesh.local.monitor_traffic", "By", "Flowmesh's own traffic (gossip, sync, drill-down, discovery) among the bytes this agent counted.", s => s.MonitorTrafficBytes);
        Counter("flowmesh.local.monitor_traffic.packets", "{packet}", "Flowmesh's own traffic among the packets this agent counted.", s => s.MonitorTrafficPackets);
        Counter("flowmesh.foreign.packets", "{packet}", "Packets seen but left to the agent that owns their flow.", s => s.ForeignPackets);
        CounterBy("flowmesh.counted.twice", "{unit}", "Traffic this agent counted before it learned that another agent owned one end then; its later records report it and the view takes it out of the totals.", "unit", s => s.CountedTwice, ["bytes", "corrections", "unledgered_packets"]);
        GaugeBy("flowmesh.monitored.addresses", "{address}", "Addresses in the ownership map: this PC's and those other agents announced.", "scope", s => s.MonitoredAddresses, ["local", "peers"]);

        GaugeBy("flowmesh.gossip.members", "{member}", "Members as this node sees them, by state.", "state",
            s => s.Members.ToDictionary(m => m.Key, m => (long)m.Value, StringComparer.Ordinal), MemberStates);
        Counter("flowmesh.gossip.sent", "By", "Gossip bytes sent (UDP and TCP, sealed).", s => s.GossipBytesSent);
        Counter("flowmesh.gossip.received", "By", "Gossip bytes received (UDP and TCP, sealed).", s => s.GossipBytesReceived);
        CounterBy("flowmesh.gossip.dropped_packets", "{packet}", "Gossip packets and frames refused, by reason.", "reason", s => s.GossipDrops, MetricLabels.GossipDropReasons);
        CounterBy("flowmesh.gossip.stream.refused", "{connection}", "Gossip TCP connections closed without a reply, by reason.", "reason", s => s.GossipStreamRefusals, MetricLabels.StreamRefusalReasons);
        // "_total" in the name: the gauge below has the plain name, and one meter cannot hold two instruments of one name.
        Counter("flowmesh.gossip.name_conflicts_total", "{conflict}", "Name conflicts detected (two agents with one name, from different addresses), each counted once.", s => s.NameConflictsDetected);
        Gauge("flowmesh.gossip.name_conflicts", "{conflict}", "Name conflicts seen in the last few minutes (see members).", s => s.NameConflictsActive);
        CounterBy("flowmesh.gossip.membership.refused", "{message}", "Membership claims, accusations and acks refused, by reason (issue 16: not signed by their subject, above its incarnation...).", "reason",
            s => s.MembershipRefusals, MetricLabels.MembershipRefusalReasons);
        Counter("flowmesh.gossip.remote_deaths_suspected", "{accusation}", "Dead about a member heard from another node: taken as suspicion the subject can refute, never as a death at once.", s => s.RemoteDeathsSuspected);
        CounterByStageAndReason("flowmesh.credentials.refused", "{credential}", "Node credentials (certificates) refused, by where (packet, membership claim, record) and why.", s => s.CredentialRefusals);
        CounterBy("flowmesh.revocation.lists", "{list}", "Revocation lists received from peers, learned from peers (newer, installed), and refused (bad form, issuer or signature).", "outcome",
            s => s.RevocationLists, MetricLabels.RevocationListOutcomes);
        Gauge("flowmesh.revocation.serial", "{serial}", "Serial of the cluster authority's revocation list in force here (0: none yet).", s => s.RevocationListSerial);
        Gauge("flowmesh.revocation.revoked_certificates", "{certificate}", "Certificates the revocation list in force revokes.", s => s.RevokedCertificates);
        Gauge("flowmesh.clock.offset", "s", "This node's clock minus the cluster's time (the median of all members' clocks, from membership round trips).", s => s.ClockOffsetSeconds);
        Gauge("flowmesh.clock.max_offset", "s", "The largest distance of any member's clock (this one included) from the cluster's time; who it is is in members.", s => s.ClockMaxOffsetSeconds);
        Gauge("flowmesh.clock.peers_sampled", "{peer}", "Peers whose clock was measured (the cluster's time is their median with this node's).", s => s.ClockPeersSampled);
        Gauge("flowmesh.clock.skewed_members", "{member}", "Members, this one included, whose clock is off the cluster's time by the alert threshold or more: the skew alert.", s => s.ClockSkewedMembers);
        Counter("flowmesh.records.accepted_skewed", "{record}", "Records that started in the future, accepted because their origin's measured clock is ahead by that much.", s => s.RecordsAcceptedFromSkewedClocks);
        Counter("flowmesh.records.moved", "{record}", "Own records sealed under a later interval than the time they watched, because the wall clock was put back under records sealed while it was ahead: counted, not lost.", s => s.RecordsMoved);
        Counter("flowmesh.clock.steps_back", "{step}", "Steps of the wall clock back by more than an epoch; each sealed the open epoch at once instead of waiting for the clock.", s => s.ClockStepsBack);
        Counter("flowmesh.retention.held_back", "{prune}", "Prunes the wall clock wanted later than the monotonic clock allowed (a jump of the clock, unconfirmed by peers): nothing extra deleted.", s => s.RetentionHeldBack);
        CounterBy("flowmesh.api.refused", "{request}", "Local API requests refused: a foreign Host (DNS rebinding), a missing API token, or a cost cap (view builds, drill-downs).", "reason", s => s.ApiRefusals, []);
        Counter("flowmesh.gossip.loop_queue.dropped", "{event}", "Received packets and calls dropped because the gossip event loop's queue was full.", s => s.GossipLoopQueueDrops);

        CounterBy("flowmesh.flow_log.rows", "{row}", "Exact flow rows for drill-down, written or dropped (caps).", "outcome", s => s.FlowLogRows, ["written", "dropped"]);
        CounterBy("flowmesh.flow.queries", "{query}", "Drill-down queries from members, by outcome.", "outcome", s => s.FlowQueries, ["served", "malformed", "failed"]);

        CounterBy("flowmesh.host_context.events", "{event}", "Host-context sources' counts by source.what: flows looked up and attributed, why not, map-full misses, DNS messages and drops (docs/host-context.md).", "event",
            s => s.HostContext, []);
        Counter("flowmesh.ipfix.messages", "{message}", "IPFIX messages sent to the collectors (--ipfix).", s => s.IpfixExport.GetValueOrDefault("messages"));
        Counter("flowmesh.ipfix.records", "{record}", "IPFIX data records sent to the collectors.", s => s.IpfixExport.GetValueOrDefault("records"));
        Counter("flowmesh.ipfix.send_errors", "{error}", "IPFIX sends or connects that failed (a collector down or unreachable).", s => s.IpfixExport.GetValueOrDefault("send_errors"));
        CounterBy("flowmesh.ipfix.lost", "{item}", "IPFIX data lost: records of failed sends, flows dropped on a full queue or without a TCP connection.", "what",
            s => new Dictionary<string, long> { ["records"] = s.IpfixExport.GetValueOrDefault("records_lost"), ["flows"] = s.IpfixExport.GetValueOrDefault("flows_dropped") }, ["records", "flows"]);

        Counter("flowmesh.records.sealed", "{record}", "Epoch records this agent sealed.", s => s.RecordsSealed);
        Gauge("flowmesh.records.stored", "{record}", "Epoch records held, all origins.", s => s.RecordsStored);
        Gauge("flowmesh.records.stored_bytes", "By", "Bytes of epoch records held, all origins.", s => s.RecordsStoredBytes);
        Counter("flowmesh.records.rejected", "{record}", "Records from peers refused (signature, origin, plausibility).", s => s.RecordsRejected);
        CounterBy("flowmesh.records.rejected_by_reason", "{record}", "Records from peers refused, by reason (issue 16: other_sketch_settings, misaligned).", "reason",
            s => s.RecordsRejectedByReason, ["other_sketch_settings", "misaligned"]);
        CounterBy("flowmesh.records.store_refused", "{record}", "Verified records the store refused: overlapping or past the per-slot cap (issue 16), or below a retention horizon.", "reason",
            s => s.RecordsRefusedByStore, ["overlapping", "slot_full", "below_horizon"]);
        CounterBy("flowmesh.records.pruned", "{record}", "Records retention deleted, by cause: age, or byte_budget (their origin held more than its fair share of the store's byte budget).", "cause",
            s => s.RecordsPruned, ["age", "byte_budget"]);
        Gauge("flowmesh.record.lag", "s", "Age of the oldest newest-record among live members.", s => s.RecordLagSeconds);
        Gauge("flowmesh.coverage.ratio", "1", "Live members with a record in the last two epochs, as a share of live members.", s => s.Coverage);
        Meter.CreateObservableGauge("flowmesh.cluster.traffic", () => Observe<double>(s => s.ClusterBytesPerSecond is double v ? new Measurement<double>(v) : (Measurement<double>?)null),
            "By/s", "Whole-network traffic over the last minute, from the merged view.");
        Meter.CreateObservableGauge("flowmesh.cluster.monitor_traffic", () => Observe<double>(s => s.ClusterMonitorBytesPerSecond is double v ? new Measurement<double>(v) : (Measurement<double>?)null),
            "By/s", "Flowmesh's own part of the whole-network traffic over the last minute.");
        Gauge("flowmesh.crosscheck.flagged_origins", "{origin}", "Origins whose accounts of their traffic with other monitored PCs disagree with their peers' over the last minute (cross-check).", s => s.CrossCheckFlaggedOrigins);

        Counter("process.cpu", "s", "CPU time of the agent process.", s => s.ProcessCpuSeconds);
        Gauge("process.resident_memory", "By", "Resident memory of the agent process.", s => s.ProcessResidentBytes);
        Gauge("process.start_time", "s", "Start time of the agent process, Unix seconds.", s => s.ProcessStartTimeSeconds);
    }

    private void Counter<T>(string name, string unit, string description, Func<AgentMetricsSnapshot, T> read) where T : struct =>
        Meter.CreateObservableCounter(name, () => Observe<T>(s => new Measurement<T>(read(s))), unit, description);

    private void Gauge<T>(string name, string unit, string description, Func<AgentMetricsSnapshot, T> read) where T : struct =>
        Meter.CreateObservableGauge(name, () => Observe<T>(s => new Measurement<T>(read(s))), unit, description);

    private void CounterBy(string name, string unit, string description, string label, Func<AgentMetricsSnapshot, IReadOnlyDictionary<string, long>> read, string[] always) =>
        Meter.CreateObservableCounter(name, () => ObserveBy(label, read, always), unit, description);

    private void GaugeBy(string name, string unit, string description, string label, Func<AgentMetricsSnapshot, IReadOnlyDictionary<string, long>> read, string[] always) =>
        Meter.CreateObservableGauge(name, () => ObserveBy(label, read, always), unit, description);

    /// <summary>Every stage × reason always (0 included), as <see cref="ObserveBy"/> does for one label.</summary>
    private void CounterByStageAndReason(string name, string unit, string description, Func<AgentMetricsSnapshot, IReadOnlyDictionary<(string Stage, string Reason), long>> read) =>
        Meter.CreateObservableCounter(name, () => Current() is { } snapshot
            ? MetricLabels.CredentialStages.SelectMany(stage => MetricLabels.CredentialRefusalReasons.Select(reason => new Measurement<long>(
                read(snapshot).GetValueOrDefault((stage, reason)), new KeyValuePair<string, object?>("stage", stage), new KeyValuePair<string, object?>("reason", reason))))
            : [], unit, description);

    private IEnumerable<Measurement<T>> Observe<T>(Func<AgentMetricsSnapshot, Measurement<T>?> read) where T : struct =>
        Current() is { } snapshot && read(snapshot) is { } measurement ? [measurement] : [];

    /// <summary>Known label values always (0 included), then any others in ordinal order: a stable list of series.</summary>
    private IEnumerable<Measurement<long>> ObserveBy(string label, Func<AgentMetricsSnapshot, IReadOnlyDictionary<string, long>> read, string[] always)
    {
        if (Current() is not { } snapshot) return [];
        var values = read(snapshot);
        return [.. always.Union(values.Keys.Order(StringComparer.Ordinal))
            .Select(key => new Measurement<long>(values.GetValueOrDefault(key), new KeyValuePair<string, object?>(label, key)))];
    }
}
