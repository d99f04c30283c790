using Flowmesh.Core.Epochs;
using Flowmesh.Gossip.Records;
using Flowmesh.Gossip.Security;
using static Flowmesh.Gossip.Tests.Records.TestRecords;

namespace Flowmesh.Gossip.Tests.Records;

/// <summary>
/// Record intake with certified origins (issue 16). Each attack here was accepted by first-use binding
/// (TrustedOrigins): an unknown name went to whoever signed first, with nothing but the cluster key.
/// </summary>
public sealed class CertifiedRecordIntakeTests : IDisposable
{
    private readonly ClusterAuthority _authority = ClusterAuthority.Generate();
    private readonly NodeIdentity _alice = NodeIdentity.Generate();
    private readonly NodeIdentity _mallory = NodeIdentity.Generate();
    private readonly FixedTime _time = new(Now);
    private readonly CertificateCredentialVerifier _verifier;
    private readonly CertifiedOrigins _origins;
    private readonly RecordValidator _validator;

    public CertifiedRecordIntakeTests()
    {
        _verifier = new CertificateCredentialVerifier(_authority.PublicKey, TimeSpan.FromMinutes(5));
        _origins = new CertifiedOrigins(_verifier, _time);
        _validator = new RecordValidator(_origins, Key, new ReplicationOptions(), _time);
    }

    public void Dispose()
    {
        _authority.Dispose();
        _alice.Dispose();
        _mallory.Dispose();
    }

    private NodeCertificate Certify(string node, NodeIdentity key, TimeSpan? validity = null) =>
        _authority.Issue(new NodeId(node), key.PublicKey, Now - TimeSpan.FromDays(1), validity ?? TimeSpan.FromDays(30));

    private static byte[] Sealed(EpochId id, NodeIdentity signer, NodeCertificate? certificate) =>
        new RecordSealer(signer, new NodeId(id.Origin), certificate).Seal(Typical(id)).SignedEnvelope;

    [Fact]
    public void A_certified_origins_records_are_accepted_and_carry_the_certificate()
    {
        var certificate = Certify("alice", _alice);
        var envelope = Sealed(Id("alice", 0), _alice, certificate);
        Assert.True(_validator.TryVerify(envelope, out var record, out _));
        Assert.Equal("alice", record!.Id.Origin);
        // The byte cost of carrying the certificate instead of the bare key (docs/gossip-security.md).
        var bare = Sealed(Id("alice", 0), _alice, null);
        Assert.Equal(certificate.EncodedLength - 91, envelope.Length - bare.Length);
    }

    [Fact]
    public void An_insider_with_the_cluster_key_but_no_certificate_gets_no_record_accepted()
    {
        // Today's envelope (a bare key) for a name nobody holds yet: first-use binding accepted and bound it.
        Assert.True(new RecordValidator(new TrustedOrigins(), Key, new ReplicationOptions(), _time).TryVerify(Sealed(Id("newcomer", 0), _mallory, null), out _, out _));
        Assert.False(_validator.TryVerify(Sealed(Id("newcomer", 0), _mallory, null), out _, out var why));
        Assert.Equal(RecordRejection.NotCertified, why);

        // Nor with a certificate from an authority of its own.
        using var rogue = ClusterAuthority.Generate();
        var selfMade = rogue.Issue(new NodeId("newcomer"), _mallory.PublicKey, Now - TimeSpan.FromDays(1), TimeSpan.FromDays(30));
        Assert.False(_validator.TryVerify(Sealed(Id("newcomer", 1), _mallory, selfMade), out _, out why));
        Assert.Equal(RecordRejection.NotCertified, why);
        Assert.Equal(2, _validator.Rejections[RecordRejection.NotCertified]);
        Assert.Equal(0, _validator.Accepted);
    }

    [Fact]
    public void A_certified_insider_cannot_publish_under_another_nodes_name()
    {
        var malloryCertificate = Certify("mallory", _mallory);
        Assert.True(_validator.TryVerify(Sealed(Id("mallory", 0), _mallory, malloryCertificate), out _, out _));
        Assert.True(_validator.TryVerify(HostileEnvelope(_mallory, "mallory", malloryCertificate, Typical(Id("mallory", 1))), out _, out _)); // the builder is faithful

        // Its own valid certificate on a record named after alice (who may not even have joined yet).
        var squat = HostileEnvelope(_mallory, "alice", malloryCertificate, Typical(Id("alice", 0)));
        Assert.False(_validator.TryVerify(squat, out _, out var why));
        Assert.Equal(RecordRejection.CertificateForAnotherNode, why);

        // Alice's real certificate copied onto a record mallory signed: the signature is not alice's key's.
        var stolen = Certify("alice", _alice);
        var forged = HostileEnvelope(_mallory, "alice", stolen, Typical(Id("alice", 1)));
        Assert.False(_validator.TryVerify(forged, out _, out why));
        Assert.Equal(RecordRejection.BadSignature, why);
        Assert.Equal(2, _validator.Accepted);
    }

    [Fact]
    public void Expired_and_revoked_certificates_are_refused_and_counted()
    {
        var expired = _authority.Issue(new NodeId("alice"), _alice.PublicKey, Now - TimeSpan.FromDays(10), TimeSpan.FromDays(1));
        Assert.False(_validator.TryVerify(Sealed(Id("alice", 0), _alice, expired), out _, out var why));
        Assert.Equal(RecordRejection.CertificateExpired, why);

        var current = Certify("alice", _alice);
        Assert.True(_validator.TryVerify(Sealed(Id("alice", 1), _alice, current), out _, out _));
        Assert.True(_verifier.TryInstallRevocations(_authority.IssueRevocations(1, [current.Serial], Now)));
        Assert.False(_validator.TryVerify(Sealed(Id("alice", 2), _alice, current), out _, out why));
        Assert.Equal(RecordRejection.CertificateRevoked, why);
        Assert.Equal(1, _validator.Rejections[RecordRejection.CertificateExpired]);
        Assert.Equal(1, _validator.Rejections[RecordRejection.CertificateRevoked]);
        Assert.Equal(1, _verifier.Refusals[CredentialRefusal.Revoked]);
        // The intake's own count by the verifier's reason: /metrics reads it as stage "record".
        Assert.Equal(1, _origins.CredentialRefusals[CredentialRefusal.Expired]);
        Assert.Equal(1, _origins.CredentialRefusals[CredentialRefusal.Revoked]);
        Assert.Equal(2, _origins.CredentialRefusals.Total);
    }

    [Fact]
    public void Truncated_and_bit_flipped_certified_envelopes_are_refused_without_throwing()
    {
        var envelope = Sealed(Id("alice", 0), _alice, Certify("alice", _alice));
        for (var length = 0; length < envelope.Length; length += 7)
            Assert.False(_validator.TryVerify(envelope.AsSpan(0, length), out _, out _), $"length {length}");
        var random = new Random(1603);
        for (var i = 0; i < 300; i++)
        {
            var flipped = (byte[])envelope.Clone();
            var bit = random.Next(0, 400 * 8); // header, certificate and the start of the record
            flipped[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(_validator.TryVerify(flipped, out _, out _), $"bit {bit}");
        }
    }

    /// <summary>
    /// A version 2 envelope built byte by byte as a hostile peer would: any origin, any certificate, signed by
    /// <paramref name="signer"/> over exactly these bytes (the layout of SignedRecord's documentation).
    /// </summary>
    private static byte[] HostileEnvelope(NodeIdentity signer, string origin, NodeCertificate certificate, EpochRecord record)
    {
        var body = new List<byte> { SignedRecord.CertifiedVersion, (byte)origin.Length };
        body.AddRange(System.Text.Encoding.UTF8.GetBytes(origin));
        var credential = certificate.Encode();
        body.AddRange([(byte)(credential.Length >> 8), (byte)credential.Length]);
        body.AddRange(credential);
        var bytes = record.Encode();
        body.AddRange([(byte)(bytes.Length >> 24), (byte)(bytes.Length >> 16), (byte)(bytes.Length >> 8), (byte)bytes.Length]);
        body.AddRange(bytes);
        using var key = System.Security.Cryptography.ECDsa.Create();
        key.ImportPkcs8PrivateKey(signer.ExportPkcs8(), out _);
        var hash = System.Security.Cryptography.SHA256.HashData([.. "flowmesh/signed-record/v1\0"u8.ToArray(), .. body]);
        body.AddRange(key.SignHash(hash, System.Security.Cryptography.DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
        return [.. body];
    }
}
