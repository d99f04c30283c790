using System.Security.Cryptography;
using Flowmesh.Core.Sketches;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Agent.Hosting;

/// <summary>
/// The sketch hash key every node of a cluster hashes with, derived from the cluster key: HKDF-SHA256 (RFC 5869)
/// with a fixed label, 16 bytes out. Why derived: sketches of different nodes merge only when hashed alike, so the
/// key must be shared, and the cluster key is the one secret every member already holds. Why HKDF with a label:
/// the sketch key must reveal nothing about the AES key (and vice versa), and rotating the cluster key must be a
/// visible change of sketch key (its fingerprint), never a silent mix. Issue 16: a key file with several transport
/// keys names its sketch key itself (ClusterKeySet), so rotating the transport key keeps the sketch key and history.
/// </summary>
internal static class SketchKeyDerivation
{
    private static readonly byte[] Label = "flowmesh/sketch-hash-key/v1"u8.ToArray();

    public static SketchHashKey FromClusterKey(ClusterKey clusterKey)
    {
        byte[] derived = DeriveBytes(clusterKey);
        try
        {
            return new SketchHashKey(derived);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(derived);
        }
    }

    /// <summary>The 16 derived bytes, for writing the sketch key into a key file before a second transport key appears (ClusterKeySet).</summary>
    public static byte[] DeriveBytes(ClusterKey clusterKey)
    {
        ArgumentNullException.ThrowIfNull(clusterKey);
        byte[] secret = Convert.FromBase64String(clusterKey.ExportBase64());
        var derived = new byte[16];
        try
        {
            HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, derived, salt: [], info: Label);
            return derived;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }
}
