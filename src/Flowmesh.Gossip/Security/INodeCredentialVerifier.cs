namespace Flowmesh.Gossip.Security;

/// <summary>
/// Decides whether the credential a node presents proves that a public key speaks for a node name: the one question
/// membership (signed Alive/Leave, signed packets) and record intake both ask, so both trust the same thing.
/// Implementations: a certificate issued by the cluster authority (issue 16's enrolment), and, for tests and the
/// transition, a bare public key bound on first use. Thread-safe; never throws on hostile bytes, it refuses with a
/// reason that the caller counts.
/// </summary>
public interface INodeCredentialVerifier
{
    /// <summary>
    /// True when <paramref name="credential"/> is valid at <paramref name="nowUnixMs"/> for <paramref name="node"/>;
    /// <paramref name="publicKey"/> is then the key (SubjectPublicKeyInfo DER) that node's signatures verify with.
    /// </summary>
    bool TryVerify(NodeId node, ReadOnlySpan<byte> credential, long nowUnixMs, out byte[]? publicKey, out CredentialRefusal refusal);
}

/// <summary>Why a credential was refused; each reason is counted where it is refused.</summary>
public enum CredentialRefusal
{
    None = 0,
    /// <summary>Bytes that do not decode as a credential.</summary>
    Malformed,
    /// <summary>The credential names another node.</summary>
    WrongNode,
    /// <summary>Not signed by the cluster authority this node trusts.</summary>
    UntrustedIssuer,
    /// <summary>Outside its validity period.</summary>
    Expired,
    /// <summary>On the authority's revocation list.</summary>
    Revoked,
    /// <summary>The name is already bound to another key (first-use binding only).</summary>
    KeyMismatch,
    /// <summary>The verifier holds as many identities as it may.</summary>
    TooManyNodes,
}

/// <summary>
/// What this node presents for itself: its signing key and the credential bytes that bind that key to its name
/// (a certificate, or the bare public key under first-use binding).
/// </summary>
public sealed record NodeCredential(NodeId Node, NodeIdentity Identity, byte[] Credential);
