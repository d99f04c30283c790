using Flowmesh.Gossip.Security;

namespace Flowmesh.Gossip.Tests.Security;

/// <summary>Who may speak for a node name once certificates replace first-use binding (issue 16).</summary>
public sealed class CertificateCredentialVerifierTests : IDisposable
{
    private static readonly DateTimeOffset Issued = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly long Now = (Issued + TimeSpan.FromDays(1)).ToUnixTimeMilliseconds();
    private static readonly TimeSpan Skew = TimeSpan.FromMinutes(5);
    private readonly ClusterAuthority _authority = ClusterAuthority.Generate();
    private readonly NodeIdentity _alice = NodeIdentity.Generate();
    private readonly CertificateCredentialVerifier _verifier;

    public CertificateCredentialVerifierTests() => _verifier = new CertificateCredentialVerifier(_authority.PublicKey, Skew);

    public void Dispose()
    {
        _authority.Dispose();
        _alice.Dispose();
    }

    private byte[] Certify(string node, TimeSpan? validity = null, ClusterAuthority? by = null) =>
        (by ?? _authority).Issue(new NodeId(node), _alice.PublicKey, Issued, validity ?? TimeSpan.FromDays(30)).Encode();

    [Fact]
    public void A_certificate_of_the_authority_for_the_node_yields_its_key()
    {
        Assert.True(_verifier.TryVerify(new NodeId("alice"), Certify("alice"), Now, out var key, out var refusal));
        Assert.Equal(CredentialRefusal.None, refusal);
        Assert.Equal(_alice.PublicKey, key);
        Assert.Equal(0, _verifier.Refusals.Total);
    }

    [Fact]
    public void Each_refusal_has_its_reason_and_its_counter()
    {
        using var rogue = ClusterAuthority.Generate();
        AssertRefused("bob", Certify("alice"), CredentialRefusal.WrongNode); // squatting: alice's certificate for bob's name
        AssertRefused("alice", Certify("alice", by: rogue), CredentialRefusal.UntrustedIssuer); // an insider's own "authority"
        AssertRefused("alice", _alice.PublicKey, CredentialRefusal.Malformed); // today's bare key, no certificate
        AssertRefused("alice", Certify("alice", TimeSpan.FromHours(23)), CredentialRefusal.Expired);
        var forged = Certify("alice");
        forged[^1] ^= 1;
        AssertRefused("alice", forged, CredentialRefusal.UntrustedIssuer);
        Assert.Equal(5, _verifier.Refusals.Total);
        Assert.Equal(1, _verifier.Refusals[CredentialRefusal.Expired]);
        Assert.Equal(2, _verifier.Refusals[CredentialRefusal.UntrustedIssuer]);
    }

    [Fact]
    public void The_clock_skew_allowance_is_exact_at_both_ends()
    {
        var certificate = Certify("alice", TimeSpan.FromDays(1)); // valid Issued .. Now
        long skew = (long)Skew.TotalMilliseconds;
        Assert.True(_verifier.TryVerify(new NodeId("alice"), certificate, Now + skew, out _, out _));
        Assert.False(_verifier.TryVerify(new NodeId("alice"), certificate, Now + skew + 1, out _, out var late));
        Assert.Equal(CredentialRefusal.Expired, late);
        long from = Issued.ToUnixTimeMilliseconds();
        Assert.True(_verifier.TryVerify(new NodeId("alice"), certificate, from - skew, out _, out _));
        Assert.False(_verifier.TryVerify(new NodeId("alice"), certificate, from - skew - 1, out _, out var early));
        Assert.Equal(CredentialRefusal.Expired, early);
    }

    [Fact]
    public void A_revoked_certificate_is_refused_and_the_newest_list_wins()
    {
        var certificate = _authority.Issue(new NodeId("alice"), _alice.PublicKey, Issued, TimeSpan.FromDays(30));
        var revoking = _authority.IssueRevocations(2, [certificate.Serial], Issued);
        var older = _authority.IssueRevocations(1, [], Issued);
        Assert.True(_verifier.TryInstallRevocations(revoking.Encode()));
        AssertRefused("alice", certificate.Encode(), CredentialRefusal.Revoked);
        Assert.Equal(1, _verifier.Refusals[CredentialRefusal.Revoked]);

        // An insider replaying an older (or the same) list cannot un-revoke anyone.
        Assert.False(_verifier.TryInstallRevocations(older.Encode()));
        Assert.False(_verifier.TryInstallRevocations(revoking.Encode()));
        Assert.Equal(2UL, _verifier.Revocations!.Serial);
        Assert.Equal(0, _verifier.RevocationListsRefused);

        // A list from another authority, or tampered, is refused and counted whatever its serial.
        using var rogue = ClusterAuthority.Generate();
        Assert.False(_verifier.TryInstallRevocations(rogue.IssueRevocations(99, [], Issued).Encode()));
        var tampered = _authority.IssueRevocations(3, [], Issued).Encode();
        tampered[20] ^= 1;
        Assert.False(_verifier.TryInstallRevocations(tampered));
        Assert.False(_verifier.TryInstallRevocations(new byte[] { 1, 2, 3 }));
        Assert.Equal(3, _verifier.RevocationListsRefused);
        AssertRefused("alice", certificate.Encode(), CredentialRefusal.Revoked);
    }

    /// <summary>
    /// Packets and membership claims check credentials through <see cref="VerifiedCredentials"/>, which trusts a
    /// verified certificate until its recheck time: a revocation stops a signer it already verified within that time,
    /// not at once (docs/gossip-security.md, threat model: stolen node key). Records ask the verifier each time.
    /// </summary>
    [Fact]
    public void A_revocation_stops_a_signer_already_verified_for_packets_and_claims_as_soon_as_the_list_arrives()
    {
        var certificate = _authority.Issue(new NodeId("alice"), _alice.PublicKey, Issued, TimeSpan.FromDays(30));
        var signers = new VerifiedCredentials(_verifier);
        var hash = System.Security.Cryptography.SHA256.HashData("a packet"u8);
        var signature = _alice.SignHash(hash);
        SignatureCheck At(long now, out CredentialRefusal refusal) =>
            signers.Check(new NodeId("alice"), certificate.Encode(), hash, signature, now, out refusal);

        Assert.Equal(SignatureCheck.Valid, At(Now, out _));
        Assert.Equal(SignatureCheck.Valid, At(Now + 1, out _));
        long verifications = signers.CredentialVerifications;
        Assert.Equal(1, verifications);
        // Before, the verified credential was trusted for the rest of its 10 min recheck time.
        Assert.True(_verifier.TryInstallRevocations(_authority.IssueRevocations(1, [certificate.Serial], Issued)));
        Assert.Equal(SignatureCheck.CredentialRefused, At(Now + 2, out var refusal));
        Assert.Equal(CredentialRefusal.Revoked, refusal);
        // A list that revokes someone else costs one verification of each active signer, no refusal.
        using var bobKey = NodeIdentity.Generate();
        var bob = _authority.Issue(new NodeId("bob"), bobKey.PublicKey, Issued, TimeSpan.FromDays(30));
        var bobSignature = bobKey.SignHash(hash);
        Assert.Equal(SignatureCheck.Valid, signers.Check(new NodeId("bob"), bob.Encode(), hash, bobSignature, Now + 3, out _));
        Assert.True(_verifier.TryInstallRevocations(_authority.IssueRevocations(2, [certificate.Serial, 999_999], Issued)));
        Assert.Equal(SignatureCheck.Valid, signers.Check(new NodeId("bob"), bob.Encode(), hash, bobSignature, Now + 4, out _));
        Assert.Equal(verifications + 3, signers.CredentialVerifications);
    }

    [Fact]
    public void Revocation_list_decoder_survives_truncation_and_random_bytes()
    {
        var encoded = _authority.IssueRevocations(7, [5, 1, 3, 3], Issued).Encode();
        Assert.True(RevocationList.TryDecode(encoded, out var list, out _));
        Assert.Equal([1UL, 3, 5], list!.Revoked);
        for (var length = 0; length < encoded.Length; length++)
            Assert.False(RevocationList.TryDecode(encoded.AsSpan(0, length), out _, out _), $"length {length}");
        Assert.False(RevocationList.TryDecode([.. encoded, 0], out _, out _));
        var random = new Random(1602);
        for (var i = 0; i < 5_000; i++)
        {
            var junk = new byte[random.Next(0, 400)];
            random.NextBytes(junk);
            if (junk.Length > 0) junk[0] = RevocationList.Version;
            if (RevocationList.TryDecode(junk, out var decoded, out _)) Assert.False(_verifier.TryInstallRevocations(decoded!));
        }
        // A count that claims more entries than any list may hold is refused before anything is allocated for it.
        var huge = (byte[])encoded.Clone();
        huge[49] = 0x7f;
        Assert.False(RevocationList.TryDecode(huge, out _, out var error));
        Assert.Equal("bad entry count", error);
    }

    private void AssertRefused(string node, byte[] credential, CredentialRefusal expected)
    {
        Assert.False(_verifier.TryVerify(new NodeId(node), credential, Now, out var key, out var refusal));
        Assert.Null(key);
        Assert.Equal(expected, refusal);
    }
}
