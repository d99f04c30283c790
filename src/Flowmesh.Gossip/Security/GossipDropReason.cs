namespace Flowmesh.Gossip.Security;

/// <summary>Why an incoming sealed packet was dropped. Each reason has its own counter.</summary>
public enum GossipDropReason
{
    /// <summary>Header parsed, key found, but the tag did not verify: wrong key content, tampering or corruption.</summary>
    NotAuthenticated,
    /// <summary>No installed key has the packet's key id (a foreign cluster, or a key already removed).</summary>
    UnknownKey,
    /// <summary>Authentic, but this sender's sequence number was already seen (or is too far behind to tell).</summary>
    Replayed,
    /// <summary>Authentic, but the sender's timestamp is outside the replay window (too old, or too far ahead).</summary>
    TooOld,
    /// <summary>Too short, unknown version, or an invalid sender id.</summary>
    Malformed,
    /// <summary>Longer than the configured maximum: refused before any work is done on it.</summary>
    Oversized,
    /// <summary>Authentic, but its sender was over its per-peer budget (Transport's TransportOptions): not handed to the node.</summary>
    RateLimited,
    /// <summary>A version 1 (unsigned) packet where signed ones are required: an agent from before issue 16, refused cleanly.</summary>
    Unsigned,
    /// <summary>Its credential does not prove a key for the claimed sender (unknown issuer, expired, another key bound...).</summary>
    CredentialRefused,
    /// <summary>Its credential is good but the signature is not the claimed sender's: a key holder speaking for another node.</summary>
    BadSignature,
}
