using System.Security.Cryptography;

namespace Flowmesh.Gossip.Security;

/// <summary>
/// The cluster authority (CA): one P-256 key pair that enrols nodes (<see cref="Issue"/>) and revokes them
/// (<see cref="IssueRevocations"/>). Its private key lives only where certificates are issued (the operator's
/// <c>flowmesh ca init</c> directory, or a single PC's data directory by default); nodes hold its public key only.
/// </summary>
public sealed class ClusterAuthority : IDisposable
{
    private readonly ECDsa _key;

    private ClusterAuthority(ECDsa key)
    {
        _key = key;
        PublicKey = key.ExportSubjectPublicKeyInfo();
        Fingerprint = SHA256.HashData(PublicKey);
    }

    /// <summary>The trust anchor every node holds (SubjectPublicKeyInfo DER).</summary>
    public byte[] PublicKey { get; }

    /// <summary>SHA-256 of <see cref="PublicKey"/>: the issuer field of every certificate and revocation list.</summary>
    public byte[] Fingerprint { get; }

    public static ClusterAuthority Generate() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>Loads a persisted authority key; refuses keys that are not P-256.</summary>
    public static ClusterAuthority FromPkcs8(ReadOnlySpan<byte> pkcs8)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportPkcs8PrivateKey(pkcs8, out var read);
            if (read != pkcs8.Length) throw new CryptographicException("trailing bytes after the PKCS#8 key");
            if (!SigningAlgorithm.IsP256(key)) throw new CryptographicException("the cluster authority key is not an ECDSA P-256 key");
            return new ClusterAuthority(key);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>The private key as PKCS#8 DER. Secret: only the CA directory (mode 0600) holds it.</summary>
    public byte[] ExportPkcs8() => _key.ExportPkcs8PrivateKey();

    /// <summary>A certificate for <paramref name="node"/>'s key, valid from <paramref name="notBefore"/> for <paramref name="validity"/>, with a random serial.</summary>
    public NodeCertificate Issue(NodeId node, ReadOnlySpan<byte> publicKey, DateTimeOffset notBefore, TimeSpan validity, string? zone = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(validity, TimeSpan.Zero);
        // Random 63-bit serials: unique without a counter the authority would have to keep consistent across copies.
        var serial = (ulong)RandomNumberGenerator.GetInt32(1, int.MaxValue) << 32 | (uint)RandomNumberGenerator.GetInt32(int.MinValue, int.MaxValue);
        var from = notBefore.ToUnixTimeMilliseconds();
        return NodeCertificate.Create(_key, Fingerprint, serial, from, from + (long)validity.TotalMilliseconds, node, zone, publicKey);
    }

    /// <summary>A signed revocation list numbered <paramref name="serial"/> (higher than every list issued before).</summary>
    public RevocationList IssueRevocations(ulong serial, IEnumerable<ulong> revokedSerials, DateTimeOffset issuedAt)
    {
        ArgumentNullException.ThrowIfNull(revokedSerials);
        return RevocationList.Create(_key, Fingerprint, serial, issuedAt.ToUnixTimeMilliseconds(), revokedSerials);
    }

    public override string ToString() => $"ClusterAuthority(P-256, {Convert.ToHexStringLower(Fingerprint, 0, 8)})";

    public void Dispose() => _key.Dispose();
}
