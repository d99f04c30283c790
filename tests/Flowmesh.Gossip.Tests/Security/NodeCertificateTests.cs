using System.Buffers.Binary;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Gossip.Tests.Security;

/// <summary>The certificate's layout and its decoder on truncated, random and hostile bytes (issue 16).</summary>
public sealed class NodeCertificateTests : IDisposable
{
    private static readonly DateTimeOffset Issued = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly ClusterAuthority _authority = ClusterAuthority.Generate();
    private readonly NodeIdentity _node = NodeIdentity.Generate();

    public void Dispose()
    {
        _authority.Dispose();
        _node.Dispose();
    }

    [Fact]
    public void A_certificate_round_trips_every_field_and_verifies_with_the_authority_only()
    {
        var issued = _authority.Issue(new NodeId("pc-7"), _node.PublicKey, Issued, TimeSpan.FromDays(30), "site-a/floor-3");
        var encoded = issued.Encode();
        Assert.Equal(214 + "pc-7".Length + "site-a/floor-3".Length, encoded.Length); // the documented layout, byte for byte
        Assert.True(NodeCertificate.TryDecode(encoded, out var decoded, out var error), error);
        Assert.Equal(new NodeId("pc-7"), decoded!.Node);
        Assert.Equal("site-a/floor-3", decoded.Zone);
        Assert.Equal(issued.Serial, decoded.Serial);
        Assert.Equal(Issued.ToUnixTimeMilliseconds(), decoded.NotBeforeUnixMs);
        Assert.Equal((Issued + TimeSpan.FromDays(30)).ToUnixTimeMilliseconds(), decoded.NotAfterUnixMs);
        Assert.Equal(_node.PublicKey, decoded.PublicKey);
        Assert.Equal(_authority.Fingerprint, decoded.IssuerFingerprint);
        using var authorityKey = System.Security.Cryptography.ECDsa.Create();
        authorityKey.ImportSubjectPublicKeyInfo(_authority.PublicKey, out _);
        Assert.True(decoded.HasValidSignature(authorityKey));
        using var other = ClusterAuthority.Generate();
        using var otherKey = System.Security.Cryptography.ECDsa.Create();
        otherKey.ImportSubjectPublicKeyInfo(other.PublicKey, out _);
        Assert.False(decoded.HasValidSignature(otherKey));
        Assert.True(NodeCertificate.TryDecode(_authority.Issue(new NodeId("x"), _node.PublicKey, Issued, TimeSpan.FromDays(1)).Encode(), out var noZone, out _));
        Assert.Null(noZone!.Zone);
    }

    [Fact]
    public void Every_truncation_and_any_trailing_byte_is_refused_with_a_reason()
    {
        var encoded = _authority.Issue(new NodeId("pc-7"), _node.PublicKey, Issued, TimeSpan.FromDays(30), "z").Encode();
        for (var length = 0; length < encoded.Length; length++)
        {
            Assert.False(NodeCertificate.TryDecode(encoded.AsSpan(0, length), out var certificate, out var error), $"length {length}");
            Assert.Null(certificate);
            Assert.False(string.IsNullOrEmpty(error));
        }
        Assert.False(NodeCertificate.TryDecode([.. encoded, 0], out _, out var trailing));
        Assert.Contains("trailing", trailing);
    }

    [Fact]
    public void Random_bytes_never_throw_and_never_decode()
    {
        var random = new Random(1601);
        for (var i = 0; i < 20_000; i++)
        {
            var junk = new byte[random.Next(0, NodeCertificate.MaxEncodedLength + 40)];
            random.NextBytes(junk);
            if (junk.Length > 0 && random.Next(2) == 0) junk[0] = NodeCertificate.Version;
            Assert.False(NodeCertificate.TryDecode(junk, out _, out var error));
            Assert.NotNull(error);
        }
    }

    [Fact]
    public void Every_single_bit_flip_is_refused_by_the_decoder_or_the_signature()
    {
        var encoded = _authority.Issue(new NodeId("pc-7"), _node.PublicKey, Issued, TimeSpan.FromDays(30), "z").Encode();
        using var authorityKey = System.Security.Cryptography.ECDsa.Create();
        authorityKey.ImportSubjectPublicKeyInfo(_authority.PublicKey, out _);
        for (var bit = 0; bit < encoded.Length * 8; bit++)
        {
            var flipped = (byte[])encoded.Clone();
            flipped[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(NodeCertificate.TryDecode(flipped, out var decoded, out _) && decoded!.HasValidSignature(authorityKey), $"bit {bit}");
        }
    }

    [Fact]
    public void Hostile_fields_are_refused_by_name()
    {
        var encoded = _authority.Issue(new NodeId("pc-7"), _node.PublicKey, Issued, TimeSpan.FromDays(30)).Encode();
        const int nameLengthAt = 1 + 8 + 8 + 8 + 32;
        Assert.Equal("unknown version 9", Refusal(encoded, b => b[0] = 9));
        Assert.Equal("bad name length", Refusal(encoded, b => b[nameLengthAt] = 0));
        Assert.Equal("bad name length", Refusal(encoded, b => b[nameLengthAt] = 200));
        Assert.Equal("the name is not a valid node name", Refusal(encoded, b => b[nameLengthAt + 1] = (byte)'\n')); // forged log lines
        Assert.Equal("the name is not a valid node name", Refusal(encoded, b => b[nameLengthAt + 1] = 0xff)); // not UTF-8
        Assert.Equal("bad zone length", Refusal(encoded, b => b[nameLengthAt + 5] = 255));
        Assert.Equal("not-after precedes not-before", Refusal(encoded, b => BinaryPrimitives.WriteInt64BigEndian(b.AsSpan(17), long.MinValue)));
        Assert.Equal("the public key is not a P-256 key on the curve", Refusal(encoded, b => b[^70] ^= 1)); // a point off the curve
        Assert.Contains("longer than", Refusal(new byte[NodeCertificate.MaxEncodedLength + 1], _ => { }));
    }

    [Fact]
    public void Validity_at_the_extremes_of_time_does_not_overflow()
    {
        using var authorityKey = System.Security.Cryptography.ECDsa.Create();
        var certificate = _authority.Issue(new NodeId("pc-7"), _node.PublicKey, DateTimeOffset.FromUnixTimeMilliseconds(0), TimeSpan.FromDays(1));
        Assert.True(certificate.IsValidAt(0, long.MaxValue));
        Assert.False(certificate.IsValidAt(long.MaxValue, 1000));
        Assert.False(certificate.IsValidAt(long.MinValue, 1000));
        Assert.True(certificate.IsValidAt(-999, 1000));
        Assert.False(certificate.IsValidAt(-1001, 1000));
    }

    private static string? Refusal(byte[] encoded, Action<byte[]> damage)
    {
        var copy = (byte[])encoded.Clone();
        damage(copy);
        Assert.False(NodeCertificate.TryDecode(copy, out _, out var error));
        return error;
    }
}
