using Flowmesh.Core.Epochs;

namespace Flowmesh.Gossip.Records;

/// <summary>
/// A signed record that passed every check (envelope signature, origin binding, record decode, origin match,
/// plausibility), with the facts a store indexes. <see cref="SignedEnvelope"/> is what travels and what is stored.
/// </summary>
public sealed record VerifiedRecord(EpochId Id, string ContentHash, byte[] SignedEnvelope)
{
    /// <summary>
    /// The epoch record as the validator (or the sealer) decoded it from <see cref="SignedEnvelope"/>, or null. Handed
    /// on so that whoever shows the record (the agent's view) need not decode it a second time; a store keeps only
    /// the envelope.
    /// </summary>
    public EpochRecord? Decoded { get; init; }
}
