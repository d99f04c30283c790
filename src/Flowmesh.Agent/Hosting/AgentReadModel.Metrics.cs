using Flowmesh.Agent.Metrics;
using Flowmesh.Gossip.Membership;

namespace Flowmesh.Agent.Hosting;

/// <summary>The agent's health as Prometheus metrics (docs/metrics.md).</summary>
internal sealed partial class AgentReadModel
{
    public AgentMetricsSnapshot Metrics()
    {
        var store = Database.Records;
        var members = Peer.Members;
        var transport = Peer.Counters;
        long nowMicros = Core.UnixMicros.Now();
        var newest = store.NewestPerOrigin().ToDictionary(r => r.Id.Origin, r => r.Id.EndMicros, StringComparer.Ordinal);
        var live = members.Where(m => m.State is MemberState.Alive or MemberState.Suspect).ToList();
        long recentMicros = 2 * Core.UnixMicros.FromDuration(Options.EpochLength);
        int covered = live.Count(m => newest.TryGetValue(m.Id.Value, out long end) && nowMicros - end <= recentMicros);
        double lag = live.Select(m => newest.TryGetValue(m.Id.Value, out long end) ? Core.UnixMicros.ToSeconds(nowMicros - end) : Uptime.Elapsed.TotalSeconds)
            .DefaultIfEmpty(0).Max();

        var gossipDrops = MetricLabels.GossipDropReasons.ToDictionary(r => r, _ => 0L, StringComparer.Ordinal);
        foreach (Gossip.Security.GossipDropReason reason in Enum.GetValues<Gossip.Security.GossipDropReason>())
            gossipDrops[MetricLabels.SnakeCase(reason.ToString())] = transport.DatagramDrops[reason] + transport.StreamDrops[reason];
        var minute = Views.Last(TimeSpan.FromMinutes(1)).Totals();
        var clocks = Peer.Clocks;
        return new AgentMetricsSnapshot
        {
            Node = Self.Value,
            CapturePackets = Capture?.Packets ?? 0,
            CaptureDrops = new Dictionary<string, long>
            {
                [Capture?.Description.StartsWith("eBPF", StringComparison.Ordinal) == true ? "map_full" : "kernel"] = Capture?.Drops ?? 0,
                ["undecodable"] = Capture?.Undecodable ?? 0,
            },
            CaptureUp = Capture is null ? null : Capture.State == "running",
            CaptureErrors = Capture?.Errors.Snapshot() ?? CaptureErrors.Labels.ToDictionary(l => l, _ => 0L),
            FlowTableFlows = Capture?.FlowTableFlows ?? 0,
            FlowEvictions = Capture?.FlowEvictions ?? 0,
            RecordsMoved = Capture?.RecordsMoved ?? 0,
            ClockStepsBack = Capture?.ClockStepsBack ?? 0,
            EbpfMapFill = Capture?.EbpfMapFill ?? 0,
            LocalTrafficBytes = Published.LocalBytes(),
            LocalTrafficPackets = Published.LocalPackets(),
            Members = members.GroupBy(m => StateName(m.State)).ToDictionary(g => g.Key, g => g.Count()),
            GossipBytesSent = transport.DatagramBytesSent + transport.StreamBytesSent,
            GossipBytesReceived = transport.DatagramBytesReceived + transport.StreamBytesReceived,
            GossipDrops = gossipDrops,
            GossipStreamRefusals = Enum.GetValues<Gossip.Transport.StreamRefusal>()
                .ToDictionary(r => MetricLabels.SnakeCase(r.ToString()), r => transport[r], StringComparer.Ordinal),
            GossipLoopQueueDrops = Peer.LoopQueueDrops,
            MembershipRefusals = MembershipRefusals(),
            RemoteDeathsSuspected = Peer.MembershipCounters.RemoteDeathsSuspected,
            CredentialRefusals = CredentialRefusals(),
            RevocationLists = RevocationLists(),
            RevocationListSerial = (long)Math.Min(RevocationsInForce?.Serial ?? 0, long.MaxValue),
            RevokedCertificates = RevocationsInForce?.Revoked.Count ?? 0,
            NameConflictsDetected = Peer.NameConflictsDetected,
            NameConflictsActive = Peer.NameConflicts.Count,
            ClockOffsetSeconds = clocks.Self.TotalSeconds,
            ClockMaxOffsetSeconds = clocks.Peers.Values.Append(clocks.Self).Max(o => o.Duration()).TotalSeconds,
            ClockPeersSampled = clocks.Sampled,
            ClockSkewedMembers = clocks.SkewedMembers(Self).Count,
            RecordsAcceptedFromSkewedClocks = Validator.AcceptedFromSkewedClocks,
            RetentionHeldBack = RetentionClock.HeldBack,
            ApiRefusals = ApiRefusals.Snapshot(),
            FlowLogRows = DrillDown.RowCounts(),
            FlowQueries = DrillDown.QueryCounts(),
            IpfixExport = IpfixCounts(),
            HostContext = Capture?.HostContextCounters() ?? new Dictionary<string, long>(),
            RecordsSealed = Published.Sealed,
            RecordsStored = store.Digest().Sum(d => (long)d.Count),
            RecordsStoredBytes = store.TotalBytes,
            RecordsRejected = Validator.Rejections.Total,
            RecordsRejectedByReason = Enum.GetValues<Gossip.Security.RecordRejection>().ToDictionary(r => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(r.ToString()), r => Validator.Rejections[r]),
            RecordsRefusedByStore = new Dictionary<string, long>
            {
                ["overlapping"] = store.RefusedOverlapping, ["slot_full"] = store.RefusedSlotFull, ["below_horizon"] = store.RefusedBelowHorizon,
            },
            RecordsPruned = new Dictionary<string, long> { ["age"] = store.PrunedForAge, ["byte_budget"] = store.PrunedForByteBudget },
            RecordLagSeconds = Math.Round(lag, 3),
            Coverage = live.Count == 0 ? 0 : (double)covered / live.Count,
            MonitorTrafficBytes = Published.MonitorBytes,
            MonitorTrafficPackets = Published.MonitorPackets,
            ForeignPackets = Published.ForeignPackets,
            CountedTwice = new Dictionary<string, long>
            {
                ["bytes"] = (long)Ownership.Ledger.CorrectedBytes,
                ["corrections"] = (long)Ownership.Ledger.Corrections,
                ["unledgered_packets"] = (long)Ownership.Ledger.Unledgered,
            },
            MonitoredAddresses = new Dictionary<string, long>
            {
                ["local"] = Ownership.Ownership.Addresses?.Local.Count ?? 0,
                ["peers"] = Ownership.Ownership.Addresses?.OtherCount ?? 0,
            },
            ClusterBytesPerSecond = minute is null ? null : minute.BitsPerSecond.Value / 8,
            ClusterMonitorBytesPerSecond = minute is null ? null : minute.DataSpan.TotalSeconds > 0 ? minute.Monitor.Bytes.Value / minute.DataSpan.TotalSeconds : 0,
            CrossCheckFlaggedOrigins = minute?.Coverage.CrossCheck.Flagged.Count ?? 0,
        };
    }

    /// <summary>All exporters' counters summed: per-collector labels would name hosts, which /metrics leaves out.</summary>
    private Dictionary<string, long> IpfixCounts()
    {
        var exporters = Ipfix?.Exporters ?? [];
        return new Dictionary<string, long>(StringComparer.Ordinal)
        {
            ["messages"] = exporters.Sum(e => e.Counters.Messages),
            ["records"] = exporters.Sum(e => e.Counters.Records),
            ["send_errors"] = exporters.Sum(e => e.Counters.SendErrors),
            ["records_lost"] = exporters.Sum(e => e.Counters.RecordsLost),
            ["flows_dropped"] = exporters.Sum(e => e.Counters.FlowsDropped),
        };
    }
}
