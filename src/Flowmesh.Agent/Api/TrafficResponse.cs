namespace Flowmesh.Agent.Api;

/// <summary>GET /api/v1/traffic: totals over the window and a series of buckets.</summary>
internal sealed record TrafficResponse(WindowDocument Window, CoverageDocument Coverage, TrafficTotals Totals, IReadOnlyList<TrafficPoint> Series);

internal sealed record TrafficTotals(
    MeasuredDocument Bytes,
    MeasuredDocument Packets,
    MeasuredDocument Flows,
    MeasuredDocument BitsPerSecond,
    MeasuredDocument PacketsPerSecond,
    double DataSeconds,
    IReadOnlyList<ProtocolTraffic> ByProtocol)
{
    /// <summary>Flowmesh's own traffic (gossip, record sync, drill-down, discovery), included in the totals above.</summary>
    public MonitorTraffic? Monitor { get; init; }
}

/// <summary>The monitor's own part of the totals: what Flowmesh itself costs the network.</summary>
internal sealed record MonitorTraffic(MeasuredDocument Bytes, MeasuredDocument Packets, MeasuredDocument Flows);

internal sealed record ProtocolTraffic(string Protocol, MeasuredDocument Bytes, MeasuredDocument Packets, MeasuredDocument Flows);

/// <summary>One bucket: exact sums of the records starting in it; <c>complete</c> is false when an expected origin lacks a record.</summary>
internal sealed record TrafficPoint(string Start, double Seconds, double Bytes, double Packets, double Flows, int Origins, bool Complete, bool Settled);
