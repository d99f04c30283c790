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
/// Version 2 (issue 16) carries the origin's <see cref="NodeCertificate"/> where version 1 carries the bare key, with
/// the same 2-byte length: the key is the certificate's, and <see cref="CertifiedOrigins"/> checks that the cluster
/// authority certified it for the origin. Carrying the certificate costs its length minus the key's (about 150 bytes
/// per record) but lets any receiver verify a record with nothing but the authority's public key.
/// </summary>
public sealed class SignedRecord
{
    public const byte Version = 1;

    /// <summary>The envelope version whose credential field is a <see cref="NodeCertificate"/>.</summary>
    public const byte CertifiedVersion = 2;
    public const int MaxRecordLength = EpochRecord.MaxEncodedLength;
    public const int SignatureLength = SigningAlgorithm.SignatureLength;
    public const int MaxEncodedLength =
        1 + 1 + NodeId.MaxLength + 2 + MaxCredentialLength + 4 + MaxRecordLength + SignatureLength;

    private const int MaxCredentialLength = NodeCertificate.MaxEncodedLength > SigningAlgorithm.MaxPublicKeyLength
        ? NodeCertificate.MaxEncodedLength : SigningAlgorithm.MaxPublicKeyLength;

    private static readonly byte[] DomainLabel = "flowmesh/signed-record/v1\0"u8.ToArray();
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly byte[] _encoded;
    private readonly int _recordOffset;
    private readonly int _recordLength;

    private SignedRecord(byte[] encoded, NodeId origin, byte[] publicKey, int recordOffset, int recordLength, NodeCertificate? certificate = null)
    {
        _encoded = encoded;
        Origin = origin;
        PublicKey = publicKey;
        Certificate = certificate;
        Fingerprint = SHA256.HashData(publicKey);
        _recordOffset = recordOffset;
        _recordLength = recordLength;
    }

    /// <summary>The node that claims to have produced the record.</summary>
    public NodeId Origin { get; }

    /// <summary>The signer's public key (SubjectPublicKeyInfo DER).</summary>
    public byte[] PublicKey { get; }

    /// <summary>The origin's certificate (version 2 envelopes), decoded but not yet verified; null in version 1.</summary>
    public NodeCertificate? Certificate { get; }

    /// <summary>SHA-256 of <see cref="PublicKey"/>.</summary>
    public byte[] Fingerprint { get; }

    public ReadOnlySpan<byte> Record => _encoded.AsSpan(_recordOffset, _recordLength);

    public byte[] Encode() => (byte[])_encoded.Clone();

    /// <summary>Signs <paramref name="record"/> as <paramref name="origin"/>'s. A node signs only its own records.</summary>
    public static SignedRecord Create(NodeIdentity signer, NodeId origin, ReadOnlySpan<byte> record) =>
        Create(signer, origin, record, null);

    /// <summary>
    /// Signs <paramref name="record"/> as <paramref name="origin"/>'s and carries <paramref name="certificate"/>, which
    /// must certify the signer's key for the origin (version 2); without one, the bare key travels (version 1).
    /// </summary>
    public static SignedRecord Create(NodeIdentity signer, NodeId origin, ReadOnlySpan<byte> record, NodeCertificate? certificate)
    {
        ArgumentNullException.ThrowIfNull(signer);
        if (record.Length > MaxRecordLength)
            throw new ArgumentException($"a record is at most {MaxRecordLength} bytes, got {record.Length}", nameof(record));
        if (certificate is not null && (certificate.Node != origin || !certificate.PublicKey.AsSpan().SequenceEqual(signer.PublicKey)))
            throw new ArgumentException($"the certificate is for {certificate.Node} and another key, not for this signer as {origin}", nameof(certificate));
        var originBytes = Encoding.UTF8.GetBytes(origin.Value);
        var publicKey = certificate?.Encode() ?? signer.PublicKey;
        var signedLength = 1 + 1 + originBytes.Length + 2 + publicKey.Length + 4 + record.Length;
        var encoded = new byte[signedLength + SignatureLength];
        var at = 0;
        encoded[at++] = certificate is null ? Version : CertifiedVersion;
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
        return new SignedRecord(encoded, origin, signer.PublicKey, recordOffset, record.Length, certificate);
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
        if (data.Length < 1 + 1 + 1 + 2 + 4 + SignatureLength || data[0] is not (Version or CertifiedVersion)) return false;
        var certified = data[0] == CertifiedVersion;

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
        if (keyLength > (certified ? NodeCertificate.MaxEncodedLength : SigningAlgorithm.MaxPublicKeyLength))
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

        NodeCertificate? certificate = null;
        if (certified)
        {
            // The certificate's form only (its key is checked on the curve there); who signed it is CertifiedOrigins' job.
            if (!NodeCertificate.TryDecode(publicKey, out certificate, out _)) return false;
            publicKey = certificate!.PublicKey;
        }
        else if (!SigningAlgorithm.IsValidPublicKey(publicKey)) return false;

        if (!NodeId.IsValidName(originText)) return false; // --name's rules: an origin reaches views, logs and the dashboard
        record = new SignedRecord(data.ToArray(), new NodeId(originText), publicKey, at, recordLength, certificate);
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

    private static byte[] SignedHash(ReadOnlySpan<byte> signedBytes) => SigningAlgorithm.LabelledHash(DomainLabel, signedBytes);

    public override string ToString() =>
        $"SignedRecord({Origin}, {_recordLength} B, key {Convert.ToHexStringLower(Fingerprint, 0, 8)})";
}
