using Flowmesh.Core.Epochs;

namespace Flowmesh.Agent.Storage;

/// <summary>A held record with what the store knows about it: <see cref="Own"/> when this node is its origin.</summary>
public sealed record StoredRecord(EpochId Id, string ContentHash, byte[] SignedEnvelope, DateTimeOffset ReceivedAt, bool Own);
