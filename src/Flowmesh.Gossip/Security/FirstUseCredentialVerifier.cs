namespace Flowmesh.Gossip.Security;

/// <summary>
/// The transition verifier until certificates land: the credential is the node's bare public key (P-256
/// SubjectPublicKeyInfo DER), and a name is bound to the first key whose signature verified for it (trust on first use,
/// as SSH host keys). A later key for a bound name is refused (<see cref="CredentialRefusal.KeyMismatch"/>), so an
/// insider cannot speak for a member it has seen; it can still squat a name no receiver has heard yet, which is what
/// the certificate verifier closes. The table is bounded: past <see cref="MaxNodes"/> names, new names are refused
/// (<see cref="CredentialRefusal.TooManyNodes"/>) rather than evicting a bound one (eviction would reopen that name).
/// Thread-safe.
/// </summary>
public sealed class FirstUseCredentialVerifier : INodeCredentialVerifier, ICredentialBinding
{
    public const int DefaultMaxNodes = 16_384;

    private readonly Dictionary<NodeId, byte[]> _bound = [];
    private readonly object _lock = new();

    public FirstUseCredentialVerifier(int maxNodes = DefaultMaxNodes)
    {
        if (maxNodes < 1) throw new ArgumentOutOfRangeException(nameof(maxNodes), "must be at least 1");
        MaxNodes = maxNodes;
    }

    public int MaxNodes { get; }

    public int BoundNodes
    {
        get { lock (_lock) return _bound.Count; }
    }

    /// <summary>The credential this scheme uses for <paramref name="identity"/>: its public key.</summary>
    public static NodeCredential CredentialOf(NodeId node, NodeIdentity identity) => new(node, identity, identity.PublicKey);

    public bool TryVerify(NodeId node, ReadOnlySpan<byte> credential, long nowUnixMs, out byte[]? publicKey, out CredentialRefusal refusal)
    {
        publicKey = null;
        if (!SigningAlgorithm.IsValidPublicKey(credential))
        {
            refusal = CredentialRefusal.Malformed;
            return false;
        }
        lock (_lock)
        {
            if (_bound.TryGetValue(node, out var bound))
            {
                if (!credential.SequenceEqual(bound))
                {
                    refusal = CredentialRefusal.KeyMismatch;
                    return false;
                }
            }
            else if (_bound.Count >= MaxNodes)
            {
                refusal = CredentialRefusal.TooManyNodes;
                return false;
            }
        }
        publicKey = credential.ToArray();
        refusal = CredentialRefusal.None;
        return true;
    }

    public void Confirm(NodeId node, byte[] publicKey)
    {
        lock (_lock)
        {
            if (_bound.Count < MaxNodes) _bound.TryAdd(node, publicKey);
        }
    }
}
