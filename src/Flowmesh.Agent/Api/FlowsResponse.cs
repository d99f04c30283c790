using System.Text.Json.Serialization;

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
    string? TcpFlags,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ProcessDocument? Process = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? RttMicros = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? RttMinMicros = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? RttMaxMicros = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Retransmits = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? DnsName = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<DropDocument>? Drops = null);

/// <summary>The program on the origin PC behind a flow (docs/host-context.md); <see cref="Source"/> says how it was attributed.</summary>
internal sealed record ProcessDocument(
    int Pid,
    string Name,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Path,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] uint? Uid,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? User,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Unit,
    string Source);

/// <summary>Packets of the flow the origin's kernel dropped for one reason.</summary>
internal sealed record DropDocument(string Reason, long Packets);
