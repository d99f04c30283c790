namespace Flowmesh.Gossip.Security;

/// <summary>Why a signed record was refused. Each reason has its own counter in <see cref="RecordRejectCounters"/>.</summary>
public enum RecordRejection
{
    /// <summary>Does not parse: truncated, wrong version, bad lengths, trailing bytes, invalid origin or public key.</summary>
    Malformed,
    /// <summary>The envelope or one of its fields is longer than its cap.</summary>
    Oversized,
    /// <summary>The signature does not verify with the public key in the envelope: tampered or forged.</summary>
    BadSignature,
    /// <summary>Validly signed, but by a key other than the one bound to the claimed origin: an impersonation attempt.</summary>
    KeyMismatch,
    /// <summary>A new origin while the trust map is full: refused rather than grow without bound.</summary>
    TooManyOrigins,
    /// <summary>The signed body is not a valid epoch record for this cluster (corrupt, wrong version, other sketch key).</summary>
    UndecodableRecord,
    /// <summary>The record's own origin differs from the envelope's signer origin: a node signing someone else's record.</summary>
    OriginMismatch,
    /// <summary>The epoch length is outside the plausible range (ReplicationOptions.MinEpochLength..MaxEpochLength).</summary>
    ImplausibleEpochLength,
    /// <summary>The epoch starts later than now plus the allowed clock skew.</summary>
    FromTheFuture,
    /// <summary>The epoch ended before the retention horizon: pruned data must not come back.</summary>
    Expired,
    /// <summary>Built with sketch settings other than the cluster's (ReplicationOptions.SketchSettings): the view must not be steered by a majority of records.</summary>
    OtherSketchSettings,
    /// <summary>Lies in no slot of the epoch grid: crosses an epoch boundary, or is longer than an epoch without being an aligned roll-up (EpochSlotRule).</summary>
    Misaligned,
    /// <summary>The envelope carries no certificate, or one the cluster authority did not sign (issue 16: only certified origins).</summary>
    NotCertified,
    /// <summary>The certificate is valid but certifies another node: a certified insider publishing under someone else's name.</summary>
    CertificateForAnotherNode,
    /// <summary>The origin's certificate is outside its validity period (beyond the clock skew allowance).</summary>
    CertificateExpired,
    /// <summary>The origin's certificate is on the authority's newest revocation list.</summary>
    CertificateRevoked,
}
