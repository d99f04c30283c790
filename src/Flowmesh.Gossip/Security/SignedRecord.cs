using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Flowmesh.Core.Epochs;

namespace Flowmesh.Gossip.Security;

/// <summary>
/// A record (an encoded <see cref="EpochRecord"/>, as opaque bytes) signed by its origin. Layout:
/// <code>
/// version (1) | origin length n (1) | origin NodeId (n, UTF-8) | public key length k (2, BE)
///   | public key (k, SubjectPublicKeyInfo) | record length r (4, BE) | record (r) | signature (64, P-256 r||s)
/// </code>
/// The signature covers SHA-256 of a domain label followed by every byte before the signature, so the origin
/// and key are bound to the record and a signature made for anything else (other versions, other uses of the
/// node key) can never verify here. The full public key travels rather than only its fingerprint so that a
/// receiver that has never heard of the origin can verify (and bind, see <see cref="TrustedOrigins"/>).
/// A valid signature alone proves only that the holder of the enclosed key signed it; that the key belongs to
/// the origin is what <see cref="TrustedOrigins"/> decides.
/// </summary>
public sealed class SignedRecord
{
    public const byte Version = 1;
    public const int MaxRecordLength = EpochRecord.MaxEncodedLength;
    public const int SignatureLength = SigningAlgorithm.SignatureLength;
    public const int MaxEncodedLength =
        1 + 1 + NodeId.MaxLength + 2 + SigningAlgorithm.MaxPublicKeyLength + 4 + MaxRecordLength + SignatureLength;

    private static readonly byte[] DomainLabel = "flowmesh/signed-record/v1\0"u8.ToArray();
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly byte[] _encoded;
    private readonly int _recordOffset;
    private readonly int _recordLength;

    private SignedRecord(byte[] encoded, NodeId origin, byte[] publicKey, int recordOffset, int recordLength)
    {
        _encoded = encoded;
        Origin = origin;
        PublicKey = publicKey;
        Fingerprint = SHA256.HashData(publicKey);
        _recordOffset = recordOffset;
        _recordLength = recordLength;
    }

    /// <summary>The node that claims to have produced the record.</summary>
    public NodeId Origin { get; }

    /// <summary>The signer's public key (SubjectPublicKeyInfo DER).</summary>
    public byte[] PublicKey { get; }

    /// <summary>SHA-256 of <see cref="PublicKey"/>.</summary>
    public byte[] Fingerprint { get; }

    public ReadOnlySpan<byte> Record => _encoded.AsSpan(_recordOffset, _recordLength);

    public byte[] Encode() => (byte[])_encoded.Clone();

    /// <summary>Signs <paramref name="record"/> as <paramref name="origin"/>'s. A node signs only its own records.</summary>
    public static SignedRecord Create(NodeIdentity signer, NodeId origin, ReadOnlySpan<byte> record)
    {
        ArgumentNullException.ThrowIfNull(signer);
        if (record.Length > MaxRecordLength)
            throw new ArgumentException($"a record is at most {MaxRecordLength} bytes, got {record.Length}", nameof(record));
        var originBytes = Encoding.UTF8.GetBytes(origin.Value);
        var publicKey = signer.PublicKey;
        var signedLength = 1 + 1 + originBytes.Length + 2 + publicKey.Length + 4 + record.Length;
        var encoded = new byte[signedLength + SignatureLength];
        var at = 0;
        encoded[at++] = Version;
        encoded[at++] = (byte)originBytes.Length;
        originBytes.CopyTo(encoded, at);
        at += originBytes.Length;
        BinaryPrimitives.WriteUInt16BigEndian(encoded.AsSpan(at), (ushort)publicKey.Length);
        at += 2;
        publicKey.CopyTo(encoded, at);
        at += publicKey.Length;
        BinaryPrimitives.WriteInt32BigEndian(encoded.AsSpan(at), record.Length);
        at += 4;
        record.CopyTo(encoded.AsSpan(at));
        var recordOffset = at;

        var signature = signer.SignHash(SignedHash(encoded.AsSpan(0, signedLength)));
        signature.CopyTo(encoded, signedLength);
        return new SignedRecord(encoded, origin, publicKey, recordOffset, record.Length);
    }

    /// <summary>
    /// Parses an envelope and checks its field sizes and the public key's form, not the signature (that is
    /// <see cref="TrustedOrigins"/>' job, together with the origin binding). Never throws.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> data, out SignedRecord? record, out RecordRejection rejection)
    {
        record = null;
        rejection = RecordRejection.Malformed;
        if (data.Length > MaxEncodedLength)
        {
            rejection = RecordRejection.Oversized;
            return false;
        }
        if (data.Length < 1 + 1 + 1 + 2 + 4 + SignatureLength || data[0] != Version) return false;

        var at = 1;
        int originLength = data[at++];
        if (originLength > NodeId.MaxLength)
        {
            rejection = RecordRejection.Oversized;
            return false;
        }
        if (originLength == 0 || data.Length - at < originLength + 2) return false;
        string originText;
        try
        {
            originText = StrictUtf8.GetString(data.Slice(at, originLength));
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
        at += originLength;

        int keyLength = BinaryPrimitives.ReadUInt16BigEndian(data[at..]);
        at += 2;
        if (keyLength > SigningAlgorithm.MaxPublicKeyLength)
        {
            rejection = RecordRejection.Oversized;
            return false;
        }
        if (data.Length - at < keyLength + 4) return false;
        var publicKey = data.Slice(at, keyLength).ToArray();
        at += keyLength;

        var recordLength = BinaryPrimitives.ReadInt32BigEndian(data[at..]);
        at += 4;
        if (recordLength < 0 || recordLength > MaxRecordLength)
        {
            rejection = RecordRejection.Oversized;
            return false;
        }
        // Exact length: trailing bytes would be unsigned data riding along.
        if (data.Length - at != (long)recordLength + SignatureLength) return false;

        if (!SigningAlgorithm.IsValidPublicKey(publicKey)) return false;

        if (!NodeId.IsValidName(originText)) return false; // --name's rules: an origin reaches views, logs and the dashboard
        record = new SignedRecord(data.ToArray(), new NodeId(originText), publicKey, at, recordLength);
        return true;
    }

    internal bool HasValidSignature()
    {
        using var key = SigningAlgorithm.TryImportPublicKey(PublicKey);
        return key is not null && HasValidSignature(key);
    }

    /// <summary>Verifies with <paramref name="key"/>, already imported from <see cref="PublicKey"/> (the caller checked they are the same).</summary>
    internal bool HasValidSignature(ECDsa key)
    {
        var signedLength = _encoded.Length - SignatureLength;
        return key.VerifyHash(SignedHash(_encoded.AsSpan(0, signedLength)), _encoded.AsSpan(signedLength),
            DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    private static byte[] SignedHash(ReadOnlySpan<byte> signedBytes)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(DomainLabel);
        hash.AppendData(signedBytes);
        return hash.GetHashAndReset();
    }

    public override string ToString() =>
        $"SignedRecord({Origin}, {_recordLength} B, key {Convert.ToHexStringLower(Fingerprint, 0, 8)})";
}
