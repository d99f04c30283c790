using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Gossip.Membership;

/// <summary>
/// Signs this node's Alive and Leave and checks those of others (issue 16): a claim about X counts only with X's own
/// signature, made with the key X's credential proves. The signature covers SHA-256 of
/// <c>"flowmesh membership claim v2\0" | kind ('A' or 'L') | name length | name | incarnation (u32 BE) | address length | address</c>
/// (Leave has no address), so a signed claim cannot be replayed as another kind, incarnation, address or node.
/// Credentials are verified once per (node, credential) by the shared <see cref="VerifiedCredentials"/>.
/// </summary>
public sealed class MembershipClaims
{
    private const byte AliveKind = (byte)'A';
    private const byte LeaveKind = (byte)'L';
    private static ReadOnlySpan<byte> Domain => "flowmesh membership claim v2\0"u8;

    private readonly NodeCredential _self;
    private readonly VerifiedCredentials _verified;
    private readonly TimeProvider _clock;

    public MembershipClaims(NodeCredential self, VerifiedCredentials verified, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(self);
        ArgumentNullException.ThrowIfNull(verified);
        _self = self;
        _verified = verified;
        _clock = clock ?? TimeProvider.System;
        // Our own name is ours from the start: a first-use verifier must never bind it to someone else's key.
        (verified.Verifier as ICredentialBinding)?.Confirm(self.Node, self.Identity.PublicKey);
    }

    /// <summary>Claims with a bare key bound on first use: what tests and agents without certificates use.</summary>
    public static MembershipClaims FirstUse(NodeId node, NodeIdentity identity, VerifiedCredentials? verified = null) =>
        new(FirstUseCredentialVerifier.CredentialOf(node, identity), verified ?? new VerifiedCredentials(new FirstUseCredentialVerifier()));

    public NodeId Node => _self.Node;

    /// <summary>Why credentials in claims were refused.</summary>
    public CredentialRefusalCounters CredentialRefusals { get; } = new();

    public Alive Sign(Alive alive) => alive with { Proof = Prove(Hash(AliveKind, alive.Node, alive.Incarnation, alive.Address)) };

    public Leave Sign(Leave leave) => leave with { Proof = Prove(Hash(LeaveKind, leave.Node, leave.Incarnation, null)) };

    /// <summary>Null when <paramref name="alive"/> carries its subject's valid signature, otherwise why not.</summary>
    public MembershipRefusal? Check(Alive alive) => Check(alive.Node, alive.Proof, Hash(AliveKind, alive.Node, alive.Incarnation, alive.Address));

    public MembershipRefusal? Check(Leave leave) => Check(leave.Node, leave.Proof, Hash(LeaveKind, leave.Node, leave.Incarnation, null));

    /// <summary>The credential refusal of the last failed <see cref="Check(Alive)"/> (name conflicts are told from key mismatches).</summary>
    public CredentialRefusal LastCredentialRefusal { get; private set; }

    private MembershipRefusal? Check(NodeId node, MemberProof? proof, byte[] hash)
    {
        LastCredentialRefusal = CredentialRefusal.None;
        if (proof is null) return MembershipRefusal.UnsignedClaim;
        var check = _verified.Check(node, proof.Credential, hash, proof.Signature, _clock.GetUtcNow().ToUnixTimeMilliseconds(), out var refusal);
        switch (check)
        {
            case SignatureCheck.Valid: return null;
            case SignatureCheck.CredentialRefused:
                LastCredentialRefusal = refusal;
                CredentialRefusals.Count(refusal);
                return MembershipRefusal.CredentialRefused;
            default: return MembershipRefusal.BadSignature;
        }
    }

    private MemberProof Prove(byte[] hash) => new(_self.Credential, _self.Identity.SignHash(hash));

    private static byte[] Hash(byte kind, NodeId node, uint incarnation, GossipAddress? address)
    {
        var name = Encoding.UTF8.GetBytes(node.Value);
        var where = address is { } a ? Encoding.UTF8.GetBytes(a.Value) : [];
        var buffer = new byte[Domain.Length + 1 + 1 + name.Length + 4 + 1 + where.Length];
        var span = buffer.AsSpan();
        Domain.CopyTo(span);
        var at = Domain.Length;
        span[at++] = kind;
        span[at++] = (byte)name.Length;
        name.CopyTo(span[at..]);
        at += name.Length;
        BinaryPrimitives.WriteUInt32BigEndian(span[at..], incarnation);
        at += 4;
        span[at++] = (byte)where.Length;
        where.CopyTo(span[at..]);
        return SHA256.HashData(buffer);
    }
}
