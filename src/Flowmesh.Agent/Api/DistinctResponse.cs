namespace Flowmesh.Agent.Api;

/// <summary>GET /api/v1/distinct: distinct sources, destinations, flows and ports in the window.</summary>
internal sealed record DistinctResponse(WindowDocument Window, CoverageDocument Coverage, MeasuredDocument Sources, MeasuredDocument Destinations, MeasuredDocument Flows, MeasuredDocument Ports);
