namespace Flowmesh.Agent.Api;

/// <summary>GET /api/v1/contributions: each origin's share of the window, with that origin's own coverage.</summary>
internal sealed record ContributionsResponse(WindowDocument Window, CoverageDocument Coverage, IReadOnlyList<NodeContribution> Nodes);

/// <summary>GET /api/v1/nodes/{name}: one origin's membership state, contribution and coverage.</summary>
internal sealed record NodeResponse(string Name, string? State, WindowDocument Window, NodeContribution Contribution);

internal sealed record NodeContribution(
    string Name,
    string? State,
    string Status,
    MeasuredDocument Bytes,
    MeasuredDocument Packets,
    MeasuredDocument Flows,
    double Share,
    int Records,
    int SettledEpochs,
    int CoveredEpochs,
    int MissingEpochs,
    double? NewestAgeSeconds,
    NodeCaptureHealth Capture);

internal sealed record NodeCaptureHealth(ulong Frames, ulong KernelDrops, ulong DecodeFailures, ulong Evictions);
