using Flowmesh.Core.Epochs;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Gossip.Records;

/// <summary>
/// Signs this node's own sealed epoch records into the envelope that is stored and replicated. It refuses a
/// record of another origin: a node signs only what it summarized itself (peers would refuse it anyway).
/// With a certificate (issue 16), every envelope carries it, so peers that trust the cluster authority accept the
/// records; without one (simulators) the bare key travels and only first-use binding (TrustedOrigins) accepts them.
/// </summary>
public sealed class RecordSealer
{
    private readonly NodeIdentity _identity;
    private readonly NodeCertificate? _certificate;

    public RecordSealer(NodeIdentity identity, NodeId self, NodeCertificate? certificate = null)
    {
        ArgumentNullException.ThrowIfNull(identity);
        _identity = identity;
        _certificate = certificate;
        Self = self;
    }

    public NodeId Self { get; }

    public VerifiedRecord Seal(EpochRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!string.Equals(record.Id.Origin, Self.Value, StringComparison.Ordinal))
            throw new ArgumentException($"record origin {record.Id.Origin} is not this node ({Self})", nameof(record));
        var envelope = SignedRecord.Create(_identity, Self, record.Encode(), _certificate).Encode();
        return new VerifiedRecord(record.Id, record.ContentHash, envelope) { Decoded = record };
    }
}
