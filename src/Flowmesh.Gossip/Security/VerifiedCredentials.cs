using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Flowmesh.Gossip.Security;

/// <summary>
/// Checks "this signature was made by node X" given the credential X presented: the credential is verified once per
/// (node, credential) and the key it yields is kept, so the steady state costs one SHA-256 of the credential, a
/// dictionary lookup and the ECDSA verification itself. Entries are verified again after <see cref="Recheck"/>, so a
/// certificate that expired stops working within that time; a new revocation list of a
/// <see cref="CertificateCredentialVerifier"/> drops every entry at once, so a revoked certificate stops as soon as the
/// list arrives (lists are rare: each costs one verification per active signer). The table is bounded (a flood of
/// credentials empties it: it costs the flooder's victims verifications, never memory). A first-use verifier learns
/// its binding only after a signature verified (<see cref="ICredentialBinding"/>). Thread-safe: one lock, because a
/// platform ECDsa object is not documented as safe for concurrent use.
/// </summary>
public sealed class VerifiedCredentials
{
    public const int DefaultCapacity = 4096;

    private readonly INodeCredentialVerifier _verifier;
    private readonly int _capacity;
    private readonly Dictionary<(NodeId Node, UInt128 High, UInt128 Low), Entry> _entries = [];
    private readonly object _lock = new();

    public VerifiedCredentials(INodeCredentialVerifier verifier, int capacity = DefaultCapacity, TimeSpan? recheck = null)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), "must be at least 1");
        _verifier = verifier;
        _capacity = capacity;
        Recheck = recheck ?? TimeSpan.FromMinutes(10);
        if (verifier is CertificateCredentialVerifier certificates) certificates.RevocationsChanged += _ => Forget();
    }

    /// <summary>Drops every verified credential: the next signature of each signer asks the verifier again.</summary>
    public void Forget()
    {
        lock (_lock) Clear();
    }

    public INodeCredentialVerifier Verifier => _verifier;

    /// <summary>How long a verified credential is trusted before the verifier is asked again.</summary>
    public TimeSpan Recheck { get; }

    public int Cached
    {
        get { lock (_lock) return _entries.Count; }
    }

    /// <summary>Credential verifications done (cache misses): the test that verification happens once per credential reads it.</summary>
    public long CredentialVerifications { get; private set; }

    /// <summary>Whether <paramref name="signature"/> is <paramref name="node"/>'s signature of <paramref name="hash"/> (a SHA-256).</summary>
    public SignatureCheck Check(NodeId node, ReadOnlySpan<byte> credential, ReadOnlySpan<byte> hash, ReadOnlySpan<byte> signature,
        long nowUnixMs, out CredentialRefusal refusal)
    {
        refusal = CredentialRefusal.None;
        if (signature.Length != SigningAlgorithm.SignatureLength) return SignatureCheck.BadSignature;
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(credential, digest);
        var key = (node, BinaryPrimitives.ReadUInt128BigEndian(digest), BinaryPrimitives.ReadUInt128BigEndian(digest[16..]));
        lock (_lock)
        {
            if (!_entries.TryGetValue(key, out var entry) || nowUnixMs - entry.VerifiedAtMs >= (long)Recheck.TotalMilliseconds
                || nowUnixMs < entry.VerifiedAtMs)
            {
                CredentialVerifications++;
                if (entry is not null)
                {
                    _entries.Remove(key);
                    entry.Key.Dispose();
                }
                if (!_verifier.TryVerify(node, credential, nowUnixMs, out var publicKey, out refusal) || publicKey is null)
                {
                    if (refusal == CredentialRefusal.None) refusal = CredentialRefusal.Malformed;
                    return SignatureCheck.CredentialRefused;
                }
                var ecdsa = SigningAlgorithm.TryImportPublicKey(publicKey);
                if (ecdsa is null)
                {
                    refusal = CredentialRefusal.Malformed;
                    return SignatureCheck.CredentialRefused;
                }
                if (_entries.Count >= _capacity) Clear();
                entry = new Entry(ecdsa, publicKey, nowUnixMs);
                _entries[key] = entry;
            }
            if (!entry.Key.VerifyHash(hash, signature, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
                return SignatureCheck.BadSignature;
            if (!entry.Bound && _verifier is ICredentialBinding binding)
            {
                binding.Confirm(node, entry.PublicKey);
                // Another key may have won the name since this entry was made (a shared verifier, a racing sender):
                // only the bound key keeps speaking for it.
                if (!_verifier.TryVerify(node, credential, nowUnixMs, out _, out refusal))
                {
                    _entries.Remove(key);
                    entry.Key.Dispose();
                    return SignatureCheck.CredentialRefused;
                }
            }
            entry.Bound = true;
            return SignatureCheck.Valid;
        }
    }

    private void Clear()
    {
        foreach (var e in _entries.Values) e.Key.Dispose();
        _entries.Clear();
    }

    private sealed class Entry(ECDsa key, byte[] publicKey, long verifiedAtMs)
    {
        public ECDsa Key { get; } = key;
        public byte[] PublicKey { get; } = publicKey;
        public long VerifiedAtMs { get; } = verifiedAtMs;
        public bool Bound { get; set; }
    }
}
