namespace Flowmesh.Agent.Storage;

/// <summary>How much one origin takes in the store: record count, envelope bytes, and the span of epoch starts held.</summary>
public sealed record OriginUsage(string Origin, int Count, long Bytes, long OldestStartMicros, long NewestStartMicros);
