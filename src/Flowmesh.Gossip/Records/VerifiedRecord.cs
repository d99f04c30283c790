using Flowmesh.Core.Epochs;

namespace Flowmesh.Gossip.Records;

/// <summary>
/// A signed record that passed every check (envelope signature, origin binding, record decode, origin match,
/// plausibility), with the facts a store indexes. <see cref="SignedEnvelope"/> is what travels and what is stored.
/// </summary>
public sealed record VerifiedRecord(EpochId Id, string ContentHash, byte[] SignedEnvelope);
