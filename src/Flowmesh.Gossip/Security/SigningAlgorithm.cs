using System.Security.Cryptography;

namespace Flowmesh.Gossip.Security;

/// <summary>The one signature scheme records use: ECDSA P-256, SHA-256, fixed 64-byte r||s signatures.</summary>
internal static class SigningAlgorithm
{
    public const int SignatureLength = 64;

    /// <summary>DER SubjectPublicKeyInfo of a P-256 key is 91 bytes; the cap leaves room and bounds hostile input.</summary>
    public const int MaxPublicKeyLength = 160;

    private const string P256Oid = "1.2.840.10045.3.1.7";

    public static bool IsP256(ECDsa key)
    {
        var curve = key.ExportParameters(includePrivateParameters: false).Curve;
        return curve.IsNamed && (curve.Oid.Value == P256Oid || curve.Oid.FriendlyName is "nistP256" or "ECDSA_P256");
    }

    /// <summary>Imports a peer's public key; null for anything that is not exactly one P-256 SubjectPublicKeyInfo.</summary>
    public static ECDsa? TryImportPublicKey(ReadOnlySpan<byte> spki)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(spki, out var read);
            if (read == spki.Length && IsP256(key)) return key;
        }
        catch (CryptographicException)
        {
        }
        key.Dispose();
        return null;
    }
}
