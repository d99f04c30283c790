using Flowmesh.Core.Epochs;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Gossip.Records;

/// <summary>
/// Signs this node's own sealed epoch records into the envelope that is stored and replicated. It refuses a
/// record of another origin: a node signs only what it summarized itself (peers would refuse it anyway).
/// The agent should also <c>TrustedOrigins.Pin(self, identity.PublicKey)</c> so its own key is bound from the start.
/// </summary>
public sealed class RecordSealer
{
    private readonly NodeIdentity _identity;

    public RecordSealer(NodeIdentity identity, NodeId self)
    {
        ArgumentNullException.ThrowIfNull(identity);
        _identity = identity;
        Self = self;
    }

    public NodeId Self { get; }

    public VerifiedRecord Seal(EpochRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!string.Equals(record.Id.Origin, Self.Value, StringComparison.Ordinal))
            throw new ArgumentException($"record origin {record.Id.Origin} is not this node ({Self})", nameof(record));
        var envelope = SignedRecord.Create(_identity, Self, record.Encode()).Encode();
        return new VerifiedRecord(record.Id, record.ContentHash, envelope) { Decoded = record };
    }
}
