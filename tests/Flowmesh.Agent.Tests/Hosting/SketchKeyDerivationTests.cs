using System.Security.Cryptography;
using Flowmesh.Agent.Hosting;
using Flowmesh.Core.Sketches;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Agent.Tests.Hosting;

public sealed class SketchKeyDerivationTests
{
    [Fact]
    public void EveryHolderOfTheClusterKeyDerivesTheSameSketchKeyAndOthersDoNot()
    {
        var cluster = ClusterKey.Generate();
        var copy = ClusterKey.Parse(cluster.ExportBase64());
        Assert.Equal(SketchKeyDerivation.FromClusterKey(cluster).Fingerprint, SketchKeyDerivation.FromClusterKey(copy).Fingerprint);
        Assert.NotEqual(SketchKeyDerivation.FromClusterKey(cluster).Fingerprint, SketchKeyDerivation.FromClusterKey(ClusterKey.Generate()).Fingerprint);
    }

    [Fact]
    public void TheKeyIsRfc5869HkdfSha256WithTheLabelComputedIndependently()
    {
        var cluster = ClusterKey.Generate();
        byte[] ikm = Convert.FromBase64String(cluster.ExportBase64());
        // RFC 5869 by hand: PRK = HMAC(salt = 32 zero bytes, IKM); T(1) = HMAC(PRK, info || 0x01); first 16 bytes.
        byte[] prk = HMACSHA256.HashData(key: new byte[32], source: ikm);
        byte[] t1 = HMACSHA256.HashData(key: prk, source: (byte[])[.. "flowmesh/sketch-hash-key/v1"u8, 0x01]);
        var expected = new SketchHashKey(t1.AsSpan(0, 16));
        var derived = SketchKeyDerivation.FromClusterKey(cluster);
        Assert.Equal(expected.Fingerprint, derived.Fingerprint);
        Assert.Equal(expected.Hash("10.0.0.1"u8), derived.Hash("10.0.0.1"u8));
        // Not the cluster key's first bytes: the derivation separates the two keys.
        Assert.NotEqual(new SketchHashKey(ikm.AsSpan(0, 16)).Fingerprint, derived.Fingerprint);
    }
}
