namespace Flowmesh.Gossip.Membership;

/// <summary>
/// A member's own word for an Alive or Leave about itself: its credential (opaque bytes an
/// <see cref="Security.INodeCredentialVerifier"/> turns into its public key: a certificate, or the bare key under
/// first-use binding) and its ECDSA P-256 signature over the claim (<see cref="MembershipClaims"/>). Gossip forwards
/// it unchanged, so every receiver checks the subject's signature, not the forwarder's.
/// </summary>
public sealed record MemberProof(byte[] Credential, byte[] Signature)
{
    public bool Equals(MemberProof? other) =>
        other is not null && Credential.AsSpan().SequenceEqual(other.Credential) && Signature.AsSpan().SequenceEqual(other.Signature);

    public override int GetHashCode() => HashCode.Combine(Credential.Length, Signature.Length, Signature.Length > 0 ? Signature[0] : 0);
}
