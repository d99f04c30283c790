using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Gossip.Tests.Security;

public sealed class SignedRecordTests : IDisposable
{
    private static readonly NodeId A = new("node-a");
    private static readonly NodeId B = new("node-b");
    private readonly NodeIdentity _a = NodeIdentity.Generate();
    private readonly NodeIdentity _b = NodeIdentity.Generate();
    private readonly byte[] _record = RecordBytes(1, 3000);

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
    }

    private static byte[] RecordBytes(int seed, int length)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public void A_signed_record_round_trips_and_binds_its_origin()
    {
        var trust = new TrustedOrigins();
        var encoded = SignedRecord.Create(_a, A, _record).Encode();
        Assert.True(trust.TryAccept(encoded, out var record, out _));
        Assert.Equal(A, record!.Origin);
        Assert.Equal(_record, record.Record.ToArray());
        Assert.Equal(_a.PublicKey, record.PublicKey);
        Assert.Equal(SHA256.HashData(_a.PublicKey), record.Fingerprint);
        Assert.True(trust.TryGetKey(A, out var bound));
        Assert.Equal(_a.PublicKey, bound);
    }

    [Fact]
    public void The_signature_verifies_independently_over_the_documented_hash()
    {
        var encoded = SignedRecord.Create(_a, A, _record).Encode();
        var signed = encoded.AsSpan(0, encoded.Length - 64);
        var hash = SHA256.HashData([.. Encoding.ASCII.GetBytes("flowmesh/signed-record/v1\0"), .. signed]);
        using var verifier = ECDsa.Create();
        verifier.ImportSubjectPublicKeyInfo(_a.PublicKey, out _);
        Assert.True(verifier.VerifyHash(hash, encoded.AsSpan(encoded.Length - 64), DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
        // And the layout: version, origin, key, record.
        Assert.Equal(1, encoded[0]);
        Assert.Equal(A.Value.Length, encoded[1]);
        Assert.Equal(_a.PublicKey.Length, BinaryPrimitives.ReadUInt16BigEndian(encoded.AsSpan(2 + A.Value.Length)));
        Assert.Equal(_record.Length, BinaryPrimitives.ReadInt32BigEndian(encoded.AsSpan(4 + A.Value.Length + _a.PublicKey.Length)));
    }

    [Fact]
    public void Node_b_signing_a_record_claiming_origin_a_is_rejected()
    {
        var trust = new TrustedOrigins();
        Assert.True(trust.TryAccept(SignedRecord.Create(_a, A, _record).Encode(), out _, out _));
        var forged = SignedRecord.Create(_b, A, RecordBytes(2, 3000)).Encode();
        Assert.False(trust.TryAccept(forged, out var record, out var rejection));
        Assert.Null(record);
        Assert.Equal(RecordRejection.KeyMismatch, rejection);
        Assert.Equal(1, trust.Rejections[RecordRejection.KeyMismatch]);
        Assert.True(trust.TryGetKey(A, out var bound));
        Assert.Equal(_a.PublicKey, bound); // the forgery did not rebind A
    }

    [Fact]
    public void A_pinned_origin_refuses_a_forger_even_on_first_contact()
    {
        var trust = new TrustedOrigins();
        trust.Pin(A, _a.PublicKey);
        Assert.False(trust.TryAccept(SignedRecord.Create(_b, A, _record).Encode(), out _, out var rejection));
        Assert.Equal(RecordRejection.KeyMismatch, rejection);
        Assert.Throws<InvalidOperationException>(() => trust.Pin(A, _b.PublicKey));
    }

    [Fact]
    public void Swapping_in_the_forgers_key_without_resigning_is_a_bad_signature()
    {
        // B takes A's genuine envelope and replaces the public key with its own of the same length.
        var encoded = SignedRecord.Create(_a, A, _record).Encode();
        _b.PublicKey.CopyTo(encoded, 4 + A.Value.Length);
        var trust = new TrustedOrigins();
        Assert.False(trust.TryAccept(encoded, out _, out var rejection));
        Assert.Equal(RecordRejection.BadSignature, rejection);
        Assert.Equal(0, trust.Count); // an invalid signature never creates a binding
    }

    [Fact]
    public void Once_an_origin_is_bound_and_its_key_kept_imported_every_record_is_still_verified()
    {
        var trust = new TrustedOrigins();
        var encoded = SignedRecord.Create(_a, A, _record).Encode();
        Assert.True(trust.TryAccept(encoded, out _, out _)); // binds A; its key is imported once from here on
        Assert.True(trust.TryAccept(encoded, out _, out _));
        AssertTamperingRefused(trust, encoded);
        Assert.False(trust.TryAccept(SignedRecord.Create(_b, A, _record).Encode(), out _, out var forged));
        Assert.Equal(RecordRejection.KeyMismatch, forged);

        // The remembered key check does not vouch for a neighbour: A's key with one bit of its point changed is off the curve.
        var offCurve = (byte[])encoded.Clone();
        offCurve[4 + A.Value.Length + _a.PublicKey.Length - 1] ^= 0x01;
        Assert.False(SignedRecord.TryDecode(offCurve, out _, out var malformed));
        Assert.Equal(RecordRejection.Malformed, malformed);
    }

    [Fact]
    public void Tampered_record_bytes_are_rejected()
    {
        var trust = new TrustedOrigins();
        var encoded = SignedRecord.Create(_a, A, _record).Encode();
        AssertTamperingRefused(trust, encoded);
    }

    /// <summary>One bit flipped in the record, near its end, in the signature's first and last byte: each a bad signature.</summary>
    private void AssertTamperingRefused(TrustedOrigins trust, byte[] encoded)
    {
        var recordStart = 8 + A.Value.Length + _a.PublicKey.Length;
        foreach (var offset in new[] { recordStart, recordStart + 1500, encoded.Length - 65, encoded.Length - 1 })
        {
            var tampered = (byte[])encoded.Clone();
            tampered[offset] ^= 0x01;
            Assert.False(trust.TryAccept(tampered, out _, out var rejection), $"offset {offset}");
            Assert.Equal(RecordRejection.BadSignature, rejection);
        }
    }

    [Fact]
    public void Every_bit_flip_in_a_small_envelope_is_rejected_and_never_throws()
    {
        var encoded = SignedRecord.Create(_a, A, "tiny record"u8).Encode();
        var trust = new TrustedOrigins();
        for (var bit = 0; bit < encoded.Length * 8; bit++)
        {
            var tampered = (byte[])encoded.Clone();
            tampered[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(trust.TryAccept(tampered, out _, out _), $"bit {bit}");
        }
        Assert.Equal(encoded.Length * 8, trust.Rejections.Total);
        Assert.True(trust.TryAccept(encoded, out _, out _));
    }

    [Fact]
    public void Truncation_at_every_length_and_trailing_bytes_are_malformed()
    {
        var encoded = SignedRecord.Create(_a, A, "tiny record"u8).Encode();
        var trust = new TrustedOrigins();
        for (var length = 0; length < encoded.Length; length++)
        {
            Assert.False(trust.TryAccept(encoded.AsSpan(0, length), out _, out var rejection), $"length {length}");
            Assert.Equal(RecordRejection.Malformed, rejection);
        }
        Assert.False(trust.TryAccept([.. encoded, 0], out _, out var trailing));
        Assert.Equal(RecordRejection.Malformed, trailing);
    }

    [Fact]
    public void Random_bytes_never_throw_and_never_verify()
    {
        var random = new Random(777);
        var trust = new TrustedOrigins();
        var template = SignedRecord.Create(_a, A, "tiny record"u8).Encode();
        for (var i = 0; i < 5_000; i++)
        {
            byte[] junk;
            if (i % 2 == 0)
            {
                junk = new byte[random.Next(0, 400)];
                random.NextBytes(junk);
            }
            else
            {
                // Keep a valid prefix and randomise the rest, so the later parsing stages see hostile data too.
                junk = (byte[])template.Clone();
                var from = random.Next(0, junk.Length);
                random.NextBytes(junk.AsSpan(from));
                // The random tail can equal the original (short tails often do): that is the genuine record.
                if (junk.AsSpan().SequenceEqual(template)) junk[^1] ^= 0x01;
            }
            Assert.False(trust.TryAccept(junk, out _, out _));
        }
        Assert.Equal(5_000, trust.Rejections.Total);
    }

    [Fact]
    public void Oversized_fields_and_envelopes_are_refused()
    {
        var trust = new TrustedOrigins();
        Assert.False(trust.TryAccept(new byte[SignedRecord.MaxEncodedLength + 1], out _, out var rejection));
        Assert.Equal(RecordRejection.Oversized, rejection);

        var encoded = SignedRecord.Create(_a, A, "tiny record"u8).Encode();
        var hugeKey = (byte[])encoded.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(hugeKey.AsSpan(2 + A.Value.Length), 60_000);
        Assert.False(trust.TryAccept(hugeKey, out _, out rejection));
        Assert.Equal(RecordRejection.Oversized, rejection);

        var hugeRecord = (byte[])encoded.Clone();
        BinaryPrimitives.WriteInt32BigEndian(hugeRecord.AsSpan(4 + A.Value.Length + _a.PublicKey.Length), int.MaxValue);
        Assert.False(trust.TryAccept(hugeRecord, out _, out rejection));
        Assert.Equal(RecordRejection.Oversized, rejection);

        var longOrigin = (byte[])encoded.Clone();
        longOrigin[1] = NodeId.MaxLength + 1;
        Assert.False(trust.TryAccept(longOrigin, out _, out rejection));
        Assert.Equal(RecordRejection.Oversized, rejection);

        Assert.Throws<ArgumentException>(() => SignedRecord.Create(_a, A, new byte[SignedRecord.MaxRecordLength + 1]));
    }

    [Fact]
    public void The_trust_map_is_bounded()
    {
        var trust = new TrustedOrigins(maxOrigins: 2);
        Assert.True(trust.TryAccept(SignedRecord.Create(_a, A, _record).Encode(), out _, out _));
        Assert.True(trust.TryAccept(SignedRecord.Create(_b, B, _record).Encode(), out _, out _));
        using var c = NodeIdentity.Generate();
        Assert.False(trust.TryAccept(SignedRecord.Create(c, new NodeId("node-c"), _record).Encode(), out _, out var rejection));
        Assert.Equal(RecordRejection.TooManyOrigins, rejection);
        Assert.Equal(2, trust.Count);
    }

    [Fact]
    public void An_identity_survives_pkcs8_export_and_import()
    {
        var pkcs8 = _a.ExportPkcs8();
        using var reloaded = NodeIdentity.FromPkcs8(pkcs8);
        Assert.Equal(_a.PublicKey, reloaded.PublicKey);
        var trust = new TrustedOrigins();
        Assert.True(trust.TryAccept(SignedRecord.Create(_a, A, _record).Encode(), out _, out _));
        Assert.True(trust.TryAccept(SignedRecord.Create(reloaded, A, RecordBytes(3, 10)).Encode(), out _, out _));
    }

    [Fact]
    public void A_non_p256_identity_is_refused_with_a_clear_error()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var error = Assert.Throws<CryptographicException>(() => NodeIdentity.FromPkcs8(p384.ExportPkcs8PrivateKey()));
        Assert.Contains("P-256", error.Message);
        Assert.ThrowsAny<CryptographicException>(() => NodeIdentity.FromPkcs8(new byte[] { 1, 2, 3 }));
    }

    [Fact]
    public void A_record_signed_with_a_non_p256_key_is_malformed()
    {
        // Hand-built envelope carrying a P-384 key: refused at decoding, before any signature work.
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var spki = p384.ExportSubjectPublicKeyInfo();
        var origin = Encoding.UTF8.GetBytes(A.Value);
        byte[] envelope = [1, (byte)origin.Length, .. origin, (byte)(spki.Length >> 8), (byte)spki.Length, .. spki, 0, 0, 0, 1, 42, .. new byte[64]];
        var trust = new TrustedOrigins();
        Assert.False(trust.TryAccept(envelope, out _, out var rejection));
        Assert.Equal(RecordRejection.Malformed, rejection);
    }

    [Fact]
    public void ToString_of_an_identity_does_not_contain_the_private_key()
    {
        var text = _a.ToString();
        Assert.DoesNotContain(Convert.ToBase64String(_a.ExportPkcs8()), text);
        Assert.StartsWith("NodeIdentity(P-256, ", text);
    }
}
