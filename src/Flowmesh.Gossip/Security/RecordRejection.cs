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
}
