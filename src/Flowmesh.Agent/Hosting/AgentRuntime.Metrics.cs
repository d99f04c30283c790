using Flowmesh.Agent.Metrics;
using Flowmesh.Core.Epochs;
using Flowmesh.Gossip.Membership;

namespace Flowmesh.Agent.Hosting;

/// <summary>The agent's health as Prometheus metrics (docs/metrics.md).</summary>
internal sealed partial class AgentRuntime
{
    private static readonly string[] ProtocolLabels = ["tcp", "udp", "icmp", "other"];
    private readonly long[] _localBytes = new long[4], _localPackets = new long[4];
    private long _monitorBytes, _monitorPackets, _foreignPackets;

    /// <summary>API requests refused by the Host check and the cost caps (shared with the API's handlers).</summary>
    private readonly Api.ApiRefusals _apiRefusals = new();

    /// <summary>Own traffic by protocol, from each sealed record's exact totals (so it equals what the records say).</summary>
    private void CountLocalTraffic(EpochRecord record)
    {
        foreach (ProtocolClass protocol in Enum.GetValues<ProtocolClass>())
        {
            var counters = record.Totals[protocol];
            Interlocked.Add(ref _localBytes[(int)protocol], (long)counters.Bytes);
            Interlocked.Add(ref _localPackets[(int)protocol], (long)counters.Packets);
        }
        Interlocked.Add(ref _monitorBytes, (long)record.MonitorTraffic.Bytes);
        Interlocked.Add(ref _monitorPackets, (long)record.MonitorTraffic.Packets);
        Interlocked.Add(ref _foreignPackets, (long)record.Health.ForeignPackets);
    }

    public AgentMetricsSnapshot Metrics()
    {
        var store = _database!.Records;
        var members = _peer?.Members ?? [];
        var transport = _peer?.Counters;
        long nowMicros = Core.UnixMicros.Now();
        var newest = store.NewestPerOrigin().ToDictionary(r => r.Id.Origin, r => r.Id.EndMicros, StringComparer.Ordinal);
        var live = members.Where(m => m.State is MemberState.Alive or MemberState.Suspect).ToList();
        long recentMicros = 2 * _options.EpochLength.Ticks / TimeSpan.TicksPerMicrosecond;
        int covered = live.Count(m => newest.TryGetValue(m.Id.Value, out long end) && nowMicros - end <= recentMicros);
        double lag = live.Select(m => newest.TryGetValue(m.Id.Value, out long end) ? (nowMicros - end) / 1e6 : _uptime.Elapsed.TotalSeconds)
            .DefaultIfEmpty(0).Max();

        var gossipDrops = AgentMetricsExposition.GossipDropReasons.ToDictionary(r => r, _ => 0L, StringComparer.Ordinal);
        if (transport is not null)
        {
            foreach (Gossip.Security.GossipDropReason reason in Enum.GetValues<Gossip.Security.GossipDropReason>())
                gossipDrops[AgentMetricsExposition.SnakeCase(reason.ToString())] = transport.DatagramDrops[reason] + transport.StreamDrops[reason];
        }
        var minute = _views?.Last(TimeSpan.FromMinutes(1)).Totals();
        var clocks = Clocks();
        return new AgentMetricsSnapshot
        {
            Node = _self.Value,
            CapturePackets = _capture?.Packets ?? 0,
            CaptureDrops = new Dictionary<string, long>
            {
                [_capture?.Description.StartsWith("eBPF", StringComparison.Ordinal) == true ? "map_full" : "kernel"] = _capture?.Drops ?? 0,
                ["undecodable"] = _capture?.Undecodable ?? 0,
            },
            CaptureUp = _capture is null ? null : _capture.State == "running",
            CaptureErrors = _capture?.Errors.Snapshot() ?? CaptureErrors.Labels.ToDictionary(l => l, _ => 0L),
            FlowTableFlows = _capture?.FlowTableFlows ?? 0,
            FlowEvictions = _capture?.FlowEvictions ?? 0,
            EbpfMapFill = _capture?.EbpfMapFill ?? 0,
            LocalTrafficBytes = ProtocolLabels.Select((p, i) => (p, i)).ToDictionary(x => x.p, x => Interlocked.Read(ref _localBytes[x.i])),
            LocalTrafficPackets = ProtocolLabels.Select((p, i) => (p, i)).ToDictionary(x => x.p, x => Interlocked.Read(ref _localPackets[x.i])),
            Members = members.GroupBy(m => StateName(m.State)).ToDictionary(g => g.Key, g => g.Count()),
            GossipBytesSent = (transport?.DatagramBytesSent ?? 0) + (transport?.StreamBytesSent ?? 0),
            GossipBytesReceived = (transport?.DatagramBytesReceived ?? 0) + (transport?.StreamBytesReceived ?? 0),
            GossipDrops = gossipDrops,
            GossipStreamRefusals = Enum.GetValues<Gossip.Transport.StreamRefusal>()
                .ToDictionary(r => AgentMetricsExposition.SnakeCase(r.ToString()), r => transport?[r] ?? 0, StringComparer.Ordinal),
            GossipLoopQueueDrops = _peer?.LoopQueueDrops ?? 0,
            NameConflictsDetected = _peer?.NameConflictsDetected ?? 0,
            NameConflictsActive = _peer?.NameConflicts.Count ?? 0,
            ClockOffsetSeconds = clocks.Self.TotalSeconds,
            ClockMaxOffsetSeconds = clocks.Peers.Values.Append(clocks.Self).Max(o => o.Duration()).TotalSeconds,
            ClockPeersSampled = clocks.Sampled,
            ClockSkewedMembers = clocks.SkewedMembers(_self).Count,
            RecordsAcceptedFromSkewedClocks = _validator?.AcceptedFromSkewedClocks ?? 0,
            RetentionHeldBack = _retentionClock?.HeldBack ?? 0,
            ApiRefusals = _apiRefusals.Snapshot(),
            FlowLogRows = FlowLogRowCounts(),
            FlowQueries = FlowQueryCounts(),
            RecordsSealed = RecordsSealed,
            RecordsStored = store.Digest().Sum(d => (long)d.Count),
            RecordsStoredBytes = store.TotalBytes,
            RecordsRejected = _validator?.Rejections.Total ?? 0,
            RecordLagSeconds = Math.Round(lag, 3),
            Coverage = live.Count == 0 ? 0 : (double)covered / live.Count,
            MonitorTrafficBytes = Interlocked.Read(ref _monitorBytes),
            MonitorTrafficPackets = Interlocked.Read(ref _monitorPackets),
            ForeignPackets = Interlocked.Read(ref _foreignPackets),
            MonitoredAddresses = new Dictionary<string, long>
            {
                ["local"] = _addressOwnership?.Ownership.Addresses?.Local.Count ?? 0,
                ["peers"] = _addressOwnership?.Ownership.Addresses?.OtherCount ?? 0,
            },
            ClusterBytesPerSecond = minute is null ? null : minute.BitsPerSecond.Value / 8,
            ClusterMonitorBytesPerSecond = minute is null ? null : minute.DataSpan.TotalSeconds > 0 ? minute.Monitor.Bytes.Value / minute.DataSpan.TotalSeconds : 0,
        };
    }
}
