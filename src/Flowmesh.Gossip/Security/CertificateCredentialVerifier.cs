using System.Security.Cryptography;

namespace Flowmesh.Gossip.Security;

/// <summary>
/// Trusts a key for a node when the cluster authority certified it: the credential is a <see cref="NodeCertificate"/>
/// signed by the trust anchor's key, naming that node, inside its validity (widened by a small clock skew
/// allowance), and not on the newest <see cref="RevocationList"/> this node holds. No first-use binding: a name
/// belongs to whoever the authority certified for it, however late it joins. Thread-safe; never throws on hostile
/// bytes; every refusal is counted in <see cref="Refusals"/>.
/// </summary>
public sealed class CertificateCredentialVerifier : INodeCredentialVerifier
{
    /// <summary>Verified certificates remembered (one ECDSA verification each, not one per record); past this the memory starts again.</summary>
    public const int CertificateMemory = 16_384;

    private readonly ECDsa _anchor;
    private readonly byte[] _anchorFingerprint;
    private readonly long _skewMs;
    private readonly Dictionary<string, NodeCertificate> _verified = new(StringComparer.Ordinal);
    private readonly object _lock = new();
    private volatile RevocationList? _revocations;

    /// <param name="authorityPublicKey">The trust anchor: the cluster authority's SubjectPublicKeyInfo.</param>
    /// <param name="clockSkew">How far outside its validity a certificate is still accepted (clocks of PCs differ).</param>
    public CertificateCredentialVerifier(ReadOnlySpan<byte> authorityPublicKey, TimeSpan clockSkew)
    {
        _anchor = SigningAlgorithm.TryImportPublicKey(authorityPublicKey)
            ?? throw new ArgumentException("the cluster authority key is not a P-256 SubjectPublicKeyInfo", nameof(authorityPublicKey));
        ArgumentOutOfRangeException.ThrowIfLessThan(clockSkew, TimeSpan.Zero);
        AuthorityPublicKey = authorityPublicKey.ToArray();
        _anchorFingerprint = SHA256.HashData(authorityPublicKey);
        _skewMs = (long)clockSkew.TotalMilliseconds;
    }

    public byte[] AuthorityPublicKey { get; }

    public CredentialRefusalCounters Refusals { get; } = new();

    /// <summary>The newest valid revocation list installed, or null.</summary>
    public RevocationList? Revocations => _revocations;

    /// <summary>Revocation lists refused (bad form, wrong issuer, bad signature); an older or equal serial is not counted here.</summary>
    public long RevocationListsRefused => Interlocked.Read(ref _revocationListsRefused);
    private long _revocationListsRefused;

    /// <summary>Raised (on the installing thread) when a newer revocation list took effect, so its holder can persist and spread it.</summary>
    public event Action<RevocationList>? RevocationsChanged;

    public bool TryVerify(NodeId node, ReadOnlySpan<byte> credential, long nowUnixMs, out byte[]? publicKey, out CredentialRefusal refusal)
    {
        publicKey = null;
        refusal = Check(node, credential, nowUnixMs, out var certificate);
        if (refusal != CredentialRefusal.None)
        {
            Refusals.Count(refusal);
            return false;
        }
        publicKey = certificate!.PublicKey;
        return true;
    }

    /// <summary>Decodes and checks a certificate without a node to match (the agent's own, at start).</summary>
    public CredentialRefusal Check(ReadOnlySpan<byte> credential, long nowUnixMs, out NodeCertificate? certificate)
    {
        certificate = null;
        if (!NodeCertificate.TryDecode(credential, out var decoded, out _)) return CredentialRefusal.Malformed;
        return Check(decoded!.Node, credential, nowUnixMs, out certificate);
    }

    private CredentialRefusal Check(NodeId node, ReadOnlySpan<byte> credential, long nowUnixMs, out NodeCertificate? certificate)
    {
        certificate = null;
        if (credential.Length > NodeCertificate.MaxEncodedLength) return CredentialRefusal.Malformed;
        var cacheKey = Convert.ToBase64String(SHA256.HashData(credential));
        lock (_lock) _verified.TryGetValue(cacheKey, out certificate);
        if (certificate is null)
        {
            if (!NodeCertificate.TryDecode(credential, out var decoded, out _)) return CredentialRefusal.Malformed;
            if (!CryptographicOperations.FixedTimeEquals(decoded!.IssuerFingerprint, _anchorFingerprint)) return CredentialRefusal.UntrustedIssuer;
            bool signed;
            lock (_anchor) signed = decoded.HasValidSignature(_anchor);
            if (!signed) return CredentialRefusal.UntrustedIssuer;
            certificate = decoded;
            lock (_lock)
            {
                if (_verified.Count >= CertificateMemory) _verified.Clear();
                _verified[cacheKey] = decoded;
            }
        }
        // Name before time: a certificate of another node says nothing about this one, valid or not.
        if (certificate.Node != node) return CredentialRefusal.WrongNode;
        if (!certificate.IsValidAt(nowUnixMs, _skewMs)) return CredentialRefusal.Expired;
        if (_revocations?.IsRevoked(certificate.Serial) == true) return CredentialRefusal.Revoked;
        return CredentialRefusal.None;
    }

    /// <summary>
    /// Installs <paramref name="encoded"/> when it is a list signed by this authority with a serial above the current
    /// one (newest serial wins). False for an older or equal list (nothing to do) and for a refused one (counted).
    /// </summary>
    public bool TryInstallRevocations(ReadOnlySpan<byte> encoded)
    {
        if (!RevocationList.TryDecode(encoded, out var list, out _)) return RefusedList();
        return TryInstallRevocations(list!);
    }

    public bool TryInstallRevocations(RevocationList list)
    {
        ArgumentNullException.ThrowIfNull(list);
        if (_revocations is { } current && list.Serial <= current.Serial) return false;
        if (!CryptographicOperations.FixedTimeEquals(list.IssuerFingerprint, _anchorFingerprint)) return RefusedList();
        bool signed;
        lock (_anchor) signed = list.HasValidSignature(_anchor);
        if (!signed) return RefusedList();
        lock (_lock)
        {
            if (_revocations is { } now && list.Serial <= now.Serial) return false;
            _revocations = list;
        }
        RevocationsChanged?.Invoke(list);
        return true;
    }

    private bool RefusedList()
    {
        Interlocked.Increment(ref _revocationListsRefused);
        return false;
    }
}
