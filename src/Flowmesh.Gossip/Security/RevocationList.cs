using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Flowmesh.Gossip.Security;

/// <summary>
/// The cluster authority's list of revoked certificate serials. Each list has its own serial number, and the newest
/// serial wins: a node replaces its list only with a validly signed one of a higher serial, so an old list replayed
/// by an insider can never un-revoke anyone. Layout (version 1, big-endian, docs/gossip-security.md "Enrolment"):
/// <code>
/// version (1) = 1 | list serial (8) | issued at (8, Unix ms) | issuer fingerprint (32) | count c (4)
///   | c × revoked certificate serial (8, strictly increasing) | signature (64, P-256 r||s)
/// </code>
/// </summary>
public sealed class RevocationList
{
    public const byte Version = 1;

    /// <summary>Bounds a hostile list (512 KiB); a cluster that revoked this many certificates wants a new authority.</summary>
    public const int MaxEntries = 65_536;

    private const int HeaderLength = 1 + 8 + 8 + NodeCertificate.FingerprintLength + 4;
    public const int MaxEncodedLength = HeaderLength + 8 * MaxEntries + SigningAlgorithm.SignatureLength;

    private static readonly byte[] DomainLabel = "flowmesh/revocation-list/v1\0"u8.ToArray();

    private readonly byte[] _encoded;
    private readonly ulong[] _revoked;

    private RevocationList(byte[] encoded, ulong serial, long issuedAt, byte[] issuer, ulong[] revoked)
    {
        _encoded = encoded;
        Serial = serial;
        IssuedAtUnixMs = issuedAt;
        IssuerFingerprint = issuer;
        _revoked = revoked;
    }

    public ulong Serial { get; }
    public long IssuedAtUnixMs { get; }
    public byte[] IssuerFingerprint { get; }
    public IReadOnlyList<ulong> Revoked => _revoked;

    public byte[] Encode() => (byte[])_encoded.Clone();

    public bool IsRevoked(ulong certificateSerial) => Array.BinarySearch(_revoked, certificateSerial) >= 0;

    internal static RevocationList Create(ECDsa authority, byte[] issuerFingerprint, ulong serial, long issuedAt, IEnumerable<ulong> revoked)
    {
        var sorted = revoked.Distinct().Order().ToArray();
        if (sorted.Length > MaxEntries) throw new ArgumentException($"a revocation list holds at most {MaxEntries} serials", nameof(revoked));
        var encoded = new byte[HeaderLength + 8 * sorted.Length + SigningAlgorithm.SignatureLength];
        var at = 0;
        encoded[at++] = Version;
        BinaryPrimitives.WriteUInt64BigEndian(encoded.AsSpan(at), serial);
        at += 8;
        BinaryPrimitives.WriteInt64BigEndian(encoded.AsSpan(at), issuedAt);
        at += 8;
        issuerFingerprint.CopyTo(encoded, at);
        at += NodeCertificate.FingerprintLength;
        BinaryPrimitives.WriteInt32BigEndian(encoded.AsSpan(at), sorted.Length);
        at += 4;
        foreach (var s in sorted)
        {
            BinaryPrimitives.WriteUInt64BigEndian(encoded.AsSpan(at), s);
            at += 8;
        }
        authority.SignHash(SignedHash(encoded.AsSpan(0, at)), DSASignatureFormat.IeeeP1363FixedFieldConcatenation).CopyTo(encoded, at);
        return new RevocationList(encoded, serial, issuedAt, (byte[])issuerFingerprint.Clone(), sorted);
    }

    /// <summary>Parses a list and checks its form, not its signature (<see cref="HasValidSignature"/>). Never throws.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> data, out RevocationList? list, out string? error)
    {
        list = null;
        error = null;
        if (data.Length > MaxEncodedLength) error = $"longer than {MaxEncodedLength} bytes";
        else if (data.Length < HeaderLength + SigningAlgorithm.SignatureLength) error = "truncated";
        else if (data[0] != Version) error = $"unknown version {data[0]}";
        if (error is not null) return false;
        var serial = BinaryPrimitives.ReadUInt64BigEndian(data[1..]);
        var issuedAt = BinaryPrimitives.ReadInt64BigEndian(data[9..]);
        var issuer = data.Slice(17, NodeCertificate.FingerprintLength).ToArray();
        var count = BinaryPrimitives.ReadInt32BigEndian(data[(HeaderLength - 4)..]);
        if (count < 0 || count > MaxEntries)
        {
            error = "bad entry count";
            return false;
        }
        if (data.Length != HeaderLength + 8L * count + SigningAlgorithm.SignatureLength)
        {
            error = "length does not match the entry count (truncated or trailing bytes)";
            return false;
        }
        var revoked = new ulong[count];
        for (var i = 0; i < count; i++)
        {
            revoked[i] = BinaryPrimitives.ReadUInt64BigEndian(data[(HeaderLength + 8 * i)..]);
            // Strictly increasing: one list has one encoding, and lookups can binary-search.
            if (i > 0 && revoked[i] <= revoked[i - 1])
            {
                error = "serials not strictly increasing";
                return false;
            }
        }
        list = new RevocationList(data.ToArray(), serial, issuedAt, issuer, revoked);
        return true;
    }

    public bool HasValidSignature(ECDsa authority)
    {
        var signedLength = _encoded.Length - SigningAlgorithm.SignatureLength;
        return authority.VerifyHash(SignedHash(_encoded.AsSpan(0, signedLength)), _encoded.AsSpan(signedLength),
            DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    private static byte[] SignedHash(ReadOnlySpan<byte> signedBytes) => SigningAlgorithm.LabelledHash(DomainLabel, signedBytes);

    public override string ToString() => $"RevocationList(serial {Serial}, {_revoked.Length} revoked)";
}
