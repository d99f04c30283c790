using System.Security.Cryptography;

namespace Flowmesh.Gossip.Security;

/// <summary>The one signature scheme records use: ECDSA P-256, SHA-256, fixed 64-byte r||s signatures.</summary>
internal static class SigningAlgorithm
{
    public const int SignatureLength = 64;

    /// <summary>DER SubjectPublicKeyInfo of a P-256 key is 91 bytes; the cap leaves room and bounds hostile input.</summary>
    public const int MaxPublicKeyLength = 160;

    private const string P256Oid = "1.2.840.10045.3.1.7";

    /// <summary>DER length of a P-256 SubjectPublicKeyInfo with an uncompressed point.</summary>
    public const int PublicKeyLength = 91;

    // The 27 bytes every such key starts with (SEQUENCE, algorithm id-ecPublicKey + prime256v1, BIT STRING, 0x04).
    // Requiring them exactly means a hostile key never reaches the platform's curve lookup (which throws
    // PlatformNotSupportedException, not CryptographicException, for a mangled curve OID), and one key has one
    // encoding, so comparing bound keys byte for byte is sound.
    private static readonly byte[] P256Prefix = CanonicalPrefix();

    private static byte[] CanonicalPrefix()
    {
        using var sample = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return sample.ExportSubjectPublicKeyInfo()[..(PublicKeyLength - 64)];
    }

    /// <summary>
    /// SHA-256 of a domain label followed by the signed bytes: what every signature of the project covers (records,
    /// certificates, revocation lists), so a signature made for one purpose can never verify as another.
    /// </summary>
    public static byte[] LabelledHash(ReadOnlySpan<byte> label, ReadOnlySpan<byte> signedBytes)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(label);
        hash.AppendData(signedBytes);
        return hash.GetHashAndReset();
    }

    public static bool IsP256(ECDsa key)
    {
        var curve = key.ExportParameters(includePrivateParameters: false).Curve;
        return curve.IsNamed && (curve.Oid.Value == P256Oid || curve.Oid.FriendlyName is "nistP256" or "ECDSA_P256");
    }

    /// <summary>Keys <see cref="IsValidPublicKey"/> remembers; past this the memory starts again (a flood of new keys costs imports, not memory).</summary>
    public const int ValidKeyMemory = 16_384;

    private static readonly HashSet<string> ValidKeys = new(StringComparer.Ordinal);

    /// <summary>
    /// Whether <paramref name="spki"/> is exactly one P-256 SubjectPublicKeyInfo with its point on the curve, as
    /// <see cref="TryImportPublicKey"/> decides. Importing validates the point (a scalar multiplication, about as dear
    /// as a verification), so keys that passed are remembered: every record of an origin carries the same key.
    /// </summary>
    public static bool IsValidPublicKey(ReadOnlySpan<byte> spki)
    {
        if (spki.Length != PublicKeyLength || !spki.StartsWith(P256Prefix)) return false;
        var text = Convert.ToBase64String(spki);
        lock (ValidKeys)
            if (ValidKeys.Contains(text)) return true;
        using (var key = TryImportPublicKey(spki))
            if (key is null) return false;
        lock (ValidKeys)
        {
            if (ValidKeys.Count >= ValidKeyMemory) ValidKeys.Clear();
            ValidKeys.Add(text);
        }
        return true;
    }

    /// <summary>Imports a peer's public key; null for anything that is not exactly one P-256 SubjectPublicKeyInfo.</summary>
    public static ECDsa? TryImportPublicKey(ReadOnlySpan<byte> spki)
    {
        if (spki.Length != PublicKeyLength || !spki.StartsWith(P256Prefix)) return null;
        var key = ECDsa.Create();
        try
        {
            // Explicit parameters: the point is validated on import (not on the curve -> CryptographicException).
            key.ImportParameters(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = spki.Slice(P256Prefix.Length, 32).ToArray(), Y = spki[^32..].ToArray() },
            });
            return key;
        }
        catch (CryptographicException)
        {
        }
        key.Dispose();
        return null;
    }
}
