using System.Security.Cryptography;

namespace Flowmesh.Gossip.Security;

/// <summary>
/// Accepts a record only from a certified origin: the envelope must carry a certificate that the cluster authority
/// issued for the record's origin, valid now and not revoked (<see cref="INodeCredentialVerifier"/>), and the record
/// must verify with the certified key. Nothing is bound on first use, so no name can be squatted and no table fills
/// up with minted names. Thread-safe; never throws.
/// </summary>
public sealed class CertifiedOrigins : IOriginTrust
{
    /// <summary>Imported node keys remembered (an import validates the point, about as dear as a verification).</summary>
    public const int KeyMemory = 16_384;

    private readonly INodeCredentialVerifier _verifier;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, ECDsa> _keys = new(StringComparer.Ordinal);

    public CertifiedOrigins(INodeCredentialVerifier verifier, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        ArgumentNullException.ThrowIfNull(time);
        _verifier = verifier;
        _time = time;
    }

    public RecordRejectCounters Rejections { get; } = new();

    /// <summary>
    /// Why record certificates were refused, by the verifier's reason (the record-stage part of the verifier's own
    /// counts; <see cref="Rejections"/> folds several reasons into <see cref="RecordRejection.NotCertified"/>).
    /// </summary>
    public CredentialRefusalCounters CredentialRefusals { get; } = new();

    public bool TryAccept(SignedRecord record, out RecordRejection rejection)
    {
        ArgumentNullException.ThrowIfNull(record);
        var verdict = Check(record);
        if (verdict is { } refused)
        {
            Rejections.Count(refused);
            rejection = refused;
            return false;
        }
        rejection = default;
        return true;
    }

    private RecordRejection? Check(SignedRecord record)
    {
        if (record.Certificate is not { } certificate) return RecordRejection.NotCertified;
        if (!_verifier.TryVerify(record.Origin, certificate.Encode(), _time.GetUtcNow().ToUnixTimeMilliseconds(), out var certified, out var refusal))
        {
            CredentialRefusals.Count(refusal == CredentialRefusal.None ? CredentialRefusal.Malformed : refusal);
            return refusal switch
            {
                CredentialRefusal.WrongNode => RecordRejection.CertificateForAnotherNode,
                CredentialRefusal.Expired => RecordRejection.CertificateExpired,
                CredentialRefusal.Revoked => RecordRejection.CertificateRevoked,
                _ => RecordRejection.NotCertified,
            };
        }
        if (!CryptographicOperations.FixedTimeEquals(certified, record.PublicKey)) return RecordRejection.KeyMismatch;
        var key = KeyFor(certified!);
        if (key is null) return RecordRejection.Malformed;
        lock (key) return record.HasValidSignature(key) ? null : RecordRejection.BadSignature;
    }

    private ECDsa? KeyFor(byte[] publicKey)
    {
        var text = Convert.ToBase64String(publicKey);
        lock (_keys)
        {
            if (_keys.TryGetValue(text, out var known)) return known;
            var imported = SigningAlgorithm.TryImportPublicKey(publicKey);
            if (imported is null) return null;
            if (_keys.Count >= KeyMemory)
            {
                // Dropped keys may still be in use by a verifying thread, so they are left to the collector, not disposed.
                _keys.Clear();
            }
            _keys[text] = imported;
            return imported;
        }
    }
}
