using Flowmesh.Gossip.Security;

namespace Flowmesh.Gossip.Records;

/// <summary>Turns an envelope from the network into a verified record or a refusal; <see cref="RecordValidator"/> in production.</summary>
public interface IRecordVerifier
{
    /// <summary>Never throws; a refusal is counted by the implementation.</summary>
    bool TryVerify(ReadOnlySpan<byte> envelope, out VerifiedRecord? record, out RecordRejection rejection);
}
