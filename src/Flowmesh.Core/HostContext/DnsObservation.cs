using Flowmesh.Core.Packets;

namespace Flowmesh.Core.HostContext;

/// <summary>
/// One DNS question this PC asked and what came back: the query's first question, the answer's response code and the
/// time between them. <see cref="ResponseCode"/> is null when no answer came within the tracker's timeout.
/// </summary>
/// <param name="QueryMicros">When the query left (µs since the Unix epoch).</param>
/// <param name="Transport">6 (TCP) or 17 (UDP).</param>
/// <param name="Type">QTYPE (1 A, 28 AAAA, 12 PTR, ...).</param>
/// <param name="ResponseCode">RCODE (0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, ...), null: unanswered.</param>
/// <param name="Addresses">A and AAAA records in the answer.</param>
public sealed record DnsObservation(
    long QueryMicros,
    IpAddress128 Client,
    IpAddress128 Server,
    byte Transport,
    ushort TransactionId,
    string Name,
    ushort Type,
    int? ResponseCode,
    long? LatencyMicros,
    IReadOnlyList<IpAddress128> Addresses);
