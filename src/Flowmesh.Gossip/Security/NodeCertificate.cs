using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Flowmesh.Gossip.Security;

/// <summary>
/// The cluster authority's statement "this P-256 key speaks for this node name, in this period". Layout (version 1,
/// integers big-endian, docs/gossip-security.md "Enrolment"):
/// <code>
/// version (1) = 1 | serial (8) | not-before (8, Unix ms) | not-after (8, Unix ms) | issuer fingerprint (32, SHA-256
///   of the authority's SubjectPublicKeyInfo) | name length n (1) | name (n, UTF-8) | zone length z (1) | zone (z,
///   UTF-8, 0 = none) | public key (91, P-256 SubjectPublicKeyInfo) | signature (64, P-256 r||s)
/// </code>
/// The signature covers SHA-256 of a domain label and every byte before it, so a node key's signatures (records,
/// packets) can never be passed off as a certificate. One certificate has one encoding (exact lengths, no trailing
/// bytes), so comparing two byte for byte is sound.
/// </summary>
public sealed class NodeCertificate
{
    public const byte Version = 1;
    public const int FingerprintLength = 32;
    public const int MaxZoneLength = 64;
    private const int FixedLength = 1 + 8 + 8 + 8 + FingerprintLength + 1 + 1 + SigningAlgorithm.PublicKeyLength + SigningAlgorithm.SignatureLength;
    public const int MinEncodedLength = FixedLength + 1;
    public const int MaxEncodedLength = FixedLength + NodeId.MaxLength + MaxZoneLength;

    private static readonly byte[] DomainLabel = "flowmesh/node-certificate/v1\0"u8.ToArray();
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly byte[] _encoded;

    private NodeCertificate(byte[] encoded, ulong serial, long notBefore, long notAfter, byte[] issuer, NodeId node, string? zone, byte[] publicKey)
    {
        _encoded = encoded;
        Serial = serial;
        NotBeforeUnixMs = notBefore;
        NotAfterUnixMs = notAfter;
        IssuerFingerprint = issuer;
        Node = node;
        Zone = zone;
        PublicKey = publicKey;
    }

    public ulong Serial { get; }
    public long NotBeforeUnixMs { get; }
    public long NotAfterUnixMs { get; }
    public byte[] IssuerFingerprint { get; }
    public NodeId Node { get; }

    /// <summary>The zone label the authority put in, or null; informational (the agent's --zone decides placement).</summary>
    public string? Zone { get; }

    /// <summary>The node's P-256 SubjectPublicKeyInfo.</summary>
    public byte[] PublicKey { get; }

    public int EncodedLength => _encoded.Length;

    public byte[] Encode() => (byte[])_encoded.Clone();

    /// <summary>Signed by <see cref="ClusterAuthority"/> only; exposed as an encoder for the authority.</summary>
    internal static NodeCertificate Create(ECDsa authority, byte[] issuerFingerprint, ulong serial, long notBefore, long notAfter,
        NodeId node, string? zone, ReadOnlySpan<byte> publicKey)
    {
        if (!SigningAlgorithm.IsValidPublicKey(publicKey)) throw new ArgumentException("not a P-256 SubjectPublicKeyInfo", nameof(publicKey));
        if (notAfter < notBefore) throw new ArgumentException("not-after precedes not-before", nameof(notAfter));
        if (!NodeId.IsValidName(node.Value)) throw new ArgumentException($"'{node}' is not a valid node name", nameof(node));
        var nameBytes = Encoding.UTF8.GetBytes(node.Value);
        var zoneBytes = zone is null ? [] : Encoding.UTF8.GetBytes(zone);
        if (zone is not null && (zoneBytes.Length is 0 or > MaxZoneLength || !NodeId.IsPrintable(zone)))
            throw new ArgumentException($"a zone label is 1..{MaxZoneLength} printable UTF-8 bytes", nameof(zone));
        var encoded = new byte[FixedLength + nameBytes.Length + zoneBytes.Length];
        var at = 0;
        encoded[at++] = Version;
        BinaryPrimitives.WriteUInt64BigEndian(encoded.AsSpan(at), serial);
        at += 8;
        BinaryPrimitives.WriteInt64BigEndian(encoded.AsSpan(at), notBefore);
        at += 8;
        BinaryPrimitives.WriteInt64BigEndian(encoded.AsSpan(at), notAfter);
        at += 8;
        issuerFingerprint.CopyTo(encoded, at);
        at += FingerprintLength;
        encoded[at++] = (byte)nameBytes.Length;
        nameBytes.CopyTo(encoded, at);
        at += nameBytes.Length;
        encoded[at++] = (byte)zoneBytes.Length;
        zoneBytes.CopyTo(encoded, at);
        at += zoneBytes.Length;
        publicKey.CopyTo(encoded.AsSpan(at));
        at += publicKey.Length;
        authority.SignHash(SignedHash(encoded.AsSpan(0, at)), DSASignatureFormat.IeeeP1363FixedFieldConcatenation).CopyTo(encoded, at);
        return new NodeCertificate(encoded, serial, notBefore, notAfter, (byte[])issuerFingerprint.Clone(), node, zone, publicKey.ToArray());
    }

    /// <summary>
    /// Parses a certificate and checks every field's form (lengths, UTF-8, printable names, a P-256 key on the curve),
    /// not the signature (<see cref="HasValidSignature"/>). Never throws; <paramref name="error"/> says what was wrong.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> data, out NodeCertificate? certificate, out string? error)
    {
        certificate = null;
        if (data.Length > MaxEncodedLength) return Refuse($"longer than {MaxEncodedLength} bytes", out error);
        if (data.Length < MinEncodedLength) return Refuse($"shorter than {MinEncodedLength} bytes", out error);
        if (data[0] != Version) return Refuse($"unknown version {data[0]}", out error);
        var at = 1;
        var serial = BinaryPrimitives.ReadUInt64BigEndian(data[at..]);
        at += 8;
        var notBefore = BinaryPrimitives.ReadInt64BigEndian(data[at..]);
        at += 8;
        var notAfter = BinaryPrimitives.ReadInt64BigEndian(data[at..]);
        at += 8;
        if (notAfter < notBefore) return Refuse("not-after precedes not-before", out error);
        var issuer = data.Slice(at, FingerprintLength).ToArray();
        at += FingerprintLength;
        int nameLength = data[at++];
        if (nameLength is 0 or > NodeId.MaxLength) return Refuse("bad name length", out error);
        if (data.Length - at < nameLength + 1) return Refuse("truncated name", out error);
        var name = TryText(data.Slice(at, nameLength));
        at += nameLength;
        if (name is null || !NodeId.IsValidName(name)) return Refuse("the name is not a valid node name", out error);
        int zoneLength = data[at++];
        if (zoneLength > MaxZoneLength) return Refuse("bad zone length", out error);
        if (data.Length - at != zoneLength + SigningAlgorithm.PublicKeyLength + SigningAlgorithm.SignatureLength)
            return Refuse("length does not match its fields (truncated or trailing bytes)", out error);
        string? zone = null;
        if (zoneLength > 0)
        {
            zone = TryText(data.Slice(at, zoneLength));
            if (zone is null || !NodeId.IsPrintable(zone)) return Refuse("the zone label is not printable UTF-8", out error);
        }
        at += zoneLength;
        var publicKey = data.Slice(at, SigningAlgorithm.PublicKeyLength);
        if (!SigningAlgorithm.IsValidPublicKey(publicKey)) return Refuse("the public key is not a P-256 key on the curve", out error);
        certificate = new NodeCertificate(data.ToArray(), serial, notBefore, notAfter, issuer, new NodeId(name), zone, publicKey.ToArray());
        error = null;
        return true;
    }

    /// <summary>Whether the authority whose key is <paramref name="authority"/> signed this certificate.</summary>
    public bool HasValidSignature(ECDsa authority)
    {
        var signedLength = _encoded.Length - SigningAlgorithm.SignatureLength;
        return authority.VerifyHash(SignedHash(_encoded.AsSpan(0, signedLength)), _encoded.AsSpan(signedLength),
            DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    /// <summary>Whether <paramref name="nowUnixMs"/> falls in the validity period widened by <paramref name="skewMs"/> both ways.</summary>
    public bool IsValidAt(long nowUnixMs, long skewMs) =>
        nowUnixMs >= SaturatingAdd(NotBeforeUnixMs, -skewMs) && nowUnixMs <= SaturatingAdd(NotAfterUnixMs, skewMs);

    private static long SaturatingAdd(long value, long delta)
    {
        var sum = value + delta;
        // Overflow iff both operands share a sign that the sum does not: hostile validity bounds at the extremes.
        if (((value ^ sum) & (delta ^ sum)) < 0) return delta > 0 ? long.MaxValue : long.MinValue;
        return sum;
    }

    private static string? TryText(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    private static bool Refuse(string reason, out string? error)
    {
        error = reason;
        return false;
    }

    private static byte[] SignedHash(ReadOnlySpan<byte> signedBytes) => SigningAlgorithm.LabelledHash(DomainLabel, signedBytes);

    public override string ToString() =>
        $"NodeCertificate({Node}, serial {Serial}, {DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(NotBeforeUnixMs, 0, 253_402_300_799_000)):u}" +
        $"..{DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(NotAfterUnixMs, 0, 253_402_300_799_000)):u})";
}
