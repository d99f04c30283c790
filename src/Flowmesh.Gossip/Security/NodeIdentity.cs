using System.Security.Cryptography;

namespace Flowmesh.Gossip.Security;

/// <summary>
/// A node's own signing key pair: ECDSA on P-256 with SHA-256 (.NET has no Ed25519 in the base library).
/// The caller persists <see cref="ExportPkcs8"/> in the node's data directory and reloads it with
/// <see cref="FromPkcs8"/>; the identity must survive restarts, or peers that bound the old key (TOFU) will
/// refuse the node's records.
/// </summary>
public sealed class NodeIdentity : IDisposable
{
    private readonly ECDsa _key;

    private NodeIdentity(ECDsa key)
    {
        _key = key;
        PublicKey = key.ExportSubjectPublicKeyInfo();
        Fingerprint = SHA256.HashData(PublicKey);
    }

    /// <summary>The public key as DER SubjectPublicKeyInfo: what peers store and verify with.</summary>
    public byte[] PublicKey { get; }

    /// <summary>SHA-256 of <see cref="PublicKey"/>: a short name for the key in logs and the UI.</summary>
    public byte[] Fingerprint { get; }

    public static NodeIdentity Generate() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>Loads a persisted identity; refuses keys that are not P-256 with a clear message.</summary>
    public static NodeIdentity FromPkcs8(ReadOnlySpan<byte> pkcs8)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportPkcs8PrivateKey(pkcs8, out var read);
            if (read != pkcs8.Length) throw new CryptographicException("trailing bytes after the PKCS#8 key");
            if (!SigningAlgorithm.IsP256(key))
                throw new CryptographicException("the node identity key is not an ECDSA P-256 key");
            return new NodeIdentity(key);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>The private key as PKCS#8 DER. Secret: write it only to a file readable by the agent alone.</summary>
    public byte[] ExportPkcs8() => _key.ExportPkcs8PrivateKey();

    internal byte[] SignHash(ReadOnlySpan<byte> hash) =>
        _key.SignHash(hash.ToArray(), DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    public override string ToString() => $"NodeIdentity(P-256, {Convert.ToHexStringLower(Fingerprint, 0, 8)})";

    public void Dispose() => _key.Dispose();
}
