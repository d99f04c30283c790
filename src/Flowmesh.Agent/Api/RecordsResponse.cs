namespace Flowmesh.Agent.Api;

/// <summary>GET /api/v1/records: ids, sizes and hashes of held records. Truncated = more matched than the limit.</summary>
internal sealed record RecordsResponse(IReadOnlyList<RecordEntry> Records, bool Truncated);

/// <summary>One record: its id (origin, start, length), the signed envelope's size and the record's SHA-256.</summary>
internal sealed record RecordEntry(string Origin, string Start, long StartMicros, long LengthMicros, int Bytes, string ContentHash);
