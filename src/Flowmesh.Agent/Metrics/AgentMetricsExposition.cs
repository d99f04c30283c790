namespace Flowmesh.Agent.Metrics;

/// <summary>
/// Renders a snapshot as Prometheus metrics. Names follow Prometheus conventions (base units, _total for counters)
/// and are the ones deploy/grafana/flowmesh-dashboard.json queries; the metrics test checks that every expression
/// there returns data, so a rename here without the dashboard fails.
/// </summary>
public static class AgentMetricsExposition
{
    private static readonly string[] MemberStates = ["alive", "suspect", "dead", "left"];

    /// <summary>The envelope's drop reasons, snake_case: the label values of flowmesh_gossip_dropped_packets_total.</summary>
    public static readonly string[] GossipDropReasons = [.. Enum.GetNames<Gossip.Security.GossipDropReason>().Select(SnakeCase)];

    /// <summary>Why a gossip TCP connection got no reply, snake_case: the label values of flowmesh_gossip_stream_refused_total.</summary>
    public static readonly string[] StreamRefusalReasons = [.. Enum.GetNames<Gossip.Transport.StreamRefusal>().Select(SnakeCase)];

    public static string SnakeCase(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));

    public static string Render(AgentMetricsSnapshot s)
    {
        var w = new PrometheusTextWriter();
        w.Family("flowmesh_agent_info", MetricType.Gauge, "Always 1; the node name as a label.");
        w.Sample("flowmesh_agent_info", 1, ("node", s.Node));

        w.Single("flowmesh_capture_packets_total", MetricType.Counter, "Packets counted by this agent's capture.", s.CapturePackets);
        Labelled(w, "flowmesh_capture_drops_total", MetricType.Counter, "Packets lost before counting, by reason.", "reason", s.CaptureDrops, ["kernel", "map_full", "undecodable"]);
        if (s.CaptureUp is bool up)
            w.Single("flowmesh_capture_up", MetricType.Gauge, "1 while the capture runs, 0 once it failed (the agent goes on without it).", up ? 1 : 0);
        Labelled(w, "flowmesh_capture_errors_total", MetricType.Counter, "Exceptions caught on the capture thread, by stage; each dropped one flow delta, epoch or drain.", "stage", s.CaptureErrors, []);
        w.Single("flowmesh_flow_table_flows", MetricType.Gauge, "Flows in the flow table now.", s.FlowTableFlows);
        w.Single("flowmesh_flow_evictions_total", MetricType.Counter, "Flows evicted because the flow table was full.", s.FlowEvictions);
        w.Single("flowmesh_ebpf_map_fill_ratio", MetricType.Gauge, "Fill of the eBPF flow map at its last drain (0 with libpcap).", s.EbpfMapFill);
        Labelled(w, "flowmesh_local_traffic_bytes_total", MetricType.Counter, "Bytes this agent counted (flows it owns), by protocol.", "protocol", s.LocalTrafficBytes, ["tcp", "udp", "icmp", "other"]);
        Labelled(w, "flowmesh_local_traffic_packets_total", MetricType.Counter, "Packets this agent counted (flows it owns), by protocol.", "protocol", s.LocalTrafficPackets, ["tcp", "udp", "icmp", "other"]);
        w.Single("flowmesh_local_monitor_traffic_bytes_total", MetricType.Counter, "Flowmesh's own traffic (gossip, sync, drill-down, discovery) among the bytes this agent counted.", s.MonitorTrafficBytes);
        w.Single("flowmesh_local_monitor_traffic_packets_total", MetricType.Counter, "Flowmesh's own traffic among the packets this agent counted.", s.MonitorTrafficPackets);
        w.Single("flowmesh_foreign_packets_total", MetricType.Counter, "Packets seen but left to the agent that owns their flow.", s.ForeignPackets);
        Labelled(w, "flowmesh_monitored_addresses", MetricType.Gauge, "Addresses in the ownership map: this PC's and those other agents announced.", "scope", s.MonitoredAddresses, ["local", "peers"]);

        w.Family("flowmesh_gossip_members", MetricType.Gauge, "Members as this node sees them, by state.");
        foreach (string state in MemberStates) w.Sample("flowmesh_gossip_members", s.Members.GetValueOrDefault(state), ("state", state));
        w.Single("flowmesh_gossip_sent_bytes_total", MetricType.Counter, "Gossip bytes sent (UDP and TCP, sealed).", s.GossipBytesSent);
        w.Single("flowmesh_gossip_received_bytes_total", MetricType.Counter, "Gossip bytes received (UDP and TCP, sealed).", s.GossipBytesReceived);
        Labelled(w, "flowmesh_gossip_dropped_packets_total", MetricType.Counter, "Gossip packets and frames refused, by reason.", "reason", s.GossipDrops, GossipDropReasons);
        Labelled(w, "flowmesh_gossip_stream_refused_total", MetricType.Counter, "Gossip TCP connections closed without a reply, by reason.", "reason", s.GossipStreamRefusals, StreamRefusalReasons);
        w.Single("flowmesh_gossip_name_conflicts_total", MetricType.Counter, "Name conflicts detected (two agents with one name, from different addresses), each counted once.", s.NameConflictsDetected);
        w.Single("flowmesh_gossip_name_conflicts", MetricType.Gauge, "Name conflicts seen in the last few minutes (see members).", s.NameConflictsActive);
        w.Single("flowmesh_clock_offset_seconds", MetricType.Gauge, "This node's clock minus the cluster's time (the median of all members' clocks, from membership round trips).", s.ClockOffsetSeconds);
        w.Single("flowmesh_clock_max_offset_seconds", MetricType.Gauge, "The largest distance of any member's clock (this one included) from the cluster's time; who it is is in members.", s.ClockMaxOffsetSeconds);
        w.Single("flowmesh_clock_peers_sampled", MetricType.Gauge, "Peers whose clock was measured (the cluster's time is their median with this node's).", s.ClockPeersSampled);
        w.Single("flowmesh_clock_skewed_members", MetricType.Gauge, "Members, this one included, whose clock is off the cluster's time by the alert threshold or more: the skew alert.", s.ClockSkewedMembers);
        w.Single("flowmesh_records_accepted_skewed_total", MetricType.Counter, "Records that started in the future, accepted because their origin's measured clock is ahead by that much.", s.RecordsAcceptedFromSkewedClocks);
        w.Single("flowmesh_records_moved_total", MetricType.Counter, "Own records sealed under a later interval than the time they watched, because the wall clock was put back under records sealed while it was ahead: counted, not lost.", s.RecordsMoved);
        w.Single("flowmesh_clock_steps_back_total", MetricType.Counter, "Steps of the wall clock back by more than an epoch; each sealed the open epoch at once instead of waiting for the clock.", s.ClockStepsBack);
        w.Single("flowmesh_retention_held_back_total", MetricType.Counter, "Prunes the wall clock wanted later than the monotonic clock allowed (a jump of the clock, unconfirmed by peers): nothing extra deleted.", s.RetentionHeldBack);
        Labelled(w, "flowmesh_api_refused_total", MetricType.Counter, "Local API requests refused: a foreign Host (DNS rebinding), a missing API token, or a cost cap (view builds, drill-downs).", "reason", s.ApiRefusals, [.. s.ApiRefusals.Keys]);
        w.Single("flowmesh_gossip_loop_queue_dropped_total", MetricType.Counter, "Received packets and calls dropped because the gossip event loop's queue was full.", s.GossipLoopQueueDrops);

        Labelled(w, "flowmesh_flow_log_rows_total", MetricType.Counter, "Exact flow rows for drill-down, written or dropped (caps).", "outcome", s.FlowLogRows, ["written", "dropped"]);
        Labelled(w, "flowmesh_flow_queries_total", MetricType.Counter, "Drill-down queries from members, by outcome.", "outcome", s.FlowQueries, ["served", "malformed", "failed"]);

        w.Single("flowmesh_ipfix_messages_total", MetricType.Counter, "IPFIX messages sent to the collectors (--ipfix).", s.IpfixExport.GetValueOrDefault("messages"));
        w.Single("flowmesh_ipfix_records_total", MetricType.Counter, "IPFIX data records sent to the collectors.", s.IpfixExport.GetValueOrDefault("records"));
        w.Single("flowmesh_ipfix_send_errors_total", MetricType.Counter, "IPFIX sends or connects that failed (a collector down or unreachable).", s.IpfixExport.GetValueOrDefault("send_errors"));
        Labelled(w, "flowmesh_ipfix_lost_total", MetricType.Counter, "IPFIX data lost: records of failed sends, flows dropped on a full queue or without a TCP connection.", "what",
            new Dictionary<string, long> { ["records"] = s.IpfixExport.GetValueOrDefault("records_lost"), ["flows"] = s.IpfixExport.GetValueOrDefault("flows_dropped") }, ["records", "flows"]);

        w.Single("flowmesh_records_sealed_total", MetricType.Counter, "Epoch records this agent sealed.", s.RecordsSealed);
        w.Single("flowmesh_records_stored", MetricType.Gauge, "Epoch records held, all origins.", s.RecordsStored);
        w.Single("flowmesh_records_stored_bytes", MetricType.Gauge, "Bytes of epoch records held, all origins.", s.RecordsStoredBytes);
        w.Single("flowmesh_records_rejected_total", MetricType.Counter, "Records from peers refused (signature, origin, plausibility).", s.RecordsRejected);
        w.Single("flowmesh_record_lag_seconds", MetricType.Gauge, "Age of the oldest newest-record among live members.", s.RecordLagSeconds);
        w.Single("flowmesh_coverage_ratio", MetricType.Gauge, "Live members with a record in the last two epochs, as a share of live members.", s.Coverage);
        if (s.ClusterBytesPerSecond is double cluster)
            w.Single("flowmesh_cluster_traffic_bytes_per_second", MetricType.Gauge, "Whole-network traffic over the last minute, from the merged view.", cluster);
        if (s.ClusterMonitorBytesPerSecond is double monitor)
            w.Single("flowmesh_cluster_monitor_traffic_bytes_per_second", MetricType.Gauge, "Flowmesh's own part of the whole-network traffic over the last minute.", monitor);

        w.Single("process_cpu_seconds_total", MetricType.Counter, "CPU time of the agent process.", s.ProcessCpuSeconds);
        w.Single("process_resident_memory_bytes", MetricType.Gauge, "Resident memory of the agent process.", s.ProcessResidentBytes);
        w.Single("process_start_time_seconds", MetricType.Gauge, "Start time of the agent process, Unix seconds.", s.ProcessStartTimeSeconds);
        return w.ToString();
    }

    /// <summary>Known label values are always written (0 included) so rate() and dashboards see a series from the start.</summary>
    private static void Labelled(PrometheusTextWriter w, string name, MetricType type, string help, string label, IReadOnlyDictionary<string, long> values, string[] always)
    {
        w.Family(name, type, help);
        foreach (string key in always.Union(values.Keys.Order(StringComparer.Ordinal)))
            w.Sample(name, values.GetValueOrDefault(key), (label, key));
    }
}
