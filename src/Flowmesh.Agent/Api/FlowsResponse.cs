namespace Flowmesh.Agent.Api;

/// <summary>GET /api/v1/flows: the exact flow records of an address, fetched from the agents that observed them.</summary>
internal sealed record FlowsResponse(
    string Address,
    WindowDocument Window,
    IReadOnlyList<FlowDocument> Flows,
    bool Truncated,
    IReadOnlyList<string> Asked,
    IReadOnlyList<string> Answered,
    IReadOnlyList<string> Failed,
    IReadOnlyList<string> NotAsked,
    IReadOnlyList<string> WithoutFlowLog);

/// <summary>One flow record as its origin counted it: "out" is source to destination (the initiator's direction).</summary>
internal sealed record FlowDocument(
    string Origin,
    string Protocol,
    int ProtocolNumber,
    string Source,
    int SourcePort,
    string Destination,
    int DestinationPort,
    long BytesOut,
    long PacketsOut,
    long BytesIn,
    long PacketsIn,
    string First,
    string Last,
    long FirstMicros,
    long LastMicros,
    string? TcpFlags);
