using Flowmesh.Core.Epochs;
using Flowmesh.Core.Sketches;
using Flowmesh.Gossip.Records;
using Flowmesh.Gossip.Security;
using static Flowmesh.Gossip.Tests.Records.TestRecords;

namespace Flowmesh.Gossip.Tests.Records;

public sealed class RecordValidatorTests : IDisposable
{
    private readonly NodeIdentity _alice = NodeIdentity.Generate();
    private readonly NodeIdentity _mallory = NodeIdentity.Generate();
    private readonly TrustedOrigins _trust = new();
    private readonly FixedTime _time = new(Now);
    private readonly RecordValidator _validator;

    public RecordValidatorTests() => _validator = new RecordValidator(_trust, Key, new ReplicationOptions(), _time);

    public void Dispose()
    {
        _alice.Dispose();
        _mallory.Dispose();
    }

    private byte[] Sealed(EpochId id, NodeIdentity? signer = null) =>
        SignedRecord.Create(signer ?? _alice, new NodeId("alice"), Typical(id).Encode()).Encode();

    private RecordRejection Refusal(byte[] envelope)
    {
        Assert.False(_validator.TryVerify(envelope, out var record, out var why));
        Assert.Null(record);
        Assert.Equal(1, _validator.Rejections[why]);
        return why;
    }

    [Fact]
    public void A_sealed_record_verifies_with_the_id_and_hash_of_the_record_inside()
    {
        var epoch = Typical(Id("alice", 3));
        var sealer = new RecordSealer(_alice, new NodeId("alice"));
        var sealedRecord = sealer.Seal(epoch);

        Assert.True(_validator.TryVerify(sealedRecord.SignedEnvelope, out var verified, out _));
        Assert.Equal(epoch.Id, verified!.Id);
        Assert.Equal(epoch.ContentHash, verified.ContentHash);
        Assert.Equal(sealedRecord.SignedEnvelope, verified.SignedEnvelope);
        Assert.Equal(epoch.Encode(), SignedRecordBody(verified.SignedEnvelope));
        Assert.Equal(1, _validator.Accepted);
    }

    [Fact]
    public void The_sealer_refuses_to_sign_another_origins_record()
    {
        var sealer = new RecordSealer(_alice, new NodeId("alice"));
        Assert.Throws<ArgumentException>(() => sealer.Seal(Typical(Id("bob", 0))));
    }

    [Fact]
    public void A_tampered_record_is_refused_as_badly_signed()
    {
        var envelope = Sealed(Id("alice", 0));
        envelope[envelope.Length - 100] ^= 1; // inside the record body, covered by the signature and the record CRC
        var why = Refusal(envelope);
        Assert.True(why is RecordRejection.BadSignature or RecordRejection.UndecodableRecord, why.ToString());
        Assert.Equal(0, _trust.Count);
    }

    [Fact]
    public void A_flipped_signature_is_refused_and_binds_nothing()
    {
        var envelope = Sealed(Id("alice", 0));
        envelope[^1] ^= 1;
        Assert.Equal(RecordRejection.BadSignature, Refusal(envelope));
        Assert.Equal(0, _trust.Count);
    }

    [Fact]
    public void A_record_made_with_another_clusters_sketch_key_is_undecodable()
    {
        var foreign = new SketchHashKey("another-key-0000"u8);
        var summary = new EpochSummary(Id("alice", 0), foreign);
        var envelope = SignedRecord.Create(_alice, new NodeId("alice"), summary.Seal().Encode()).Encode();
        Assert.Equal(RecordRejection.UndecodableRecord, Refusal(envelope));
    }

    [Fact]
    public void Signing_someone_elses_record_is_an_origin_mismatch()
    {
        // Mallory signs, as herself, a record that claims to be Bob's: the signature is valid, the claim is not.
        var envelope = SignedRecord.Create(_mallory, new NodeId("mallory"), Typical(Id("bob", 0)).Encode()).Encode();
        Assert.Equal(RecordRejection.OriginMismatch, Refusal(envelope));
        Assert.False(_trust.TryGetKey(new NodeId("mallory"), out _));
    }

    [Fact]
    public void Another_key_for_a_bound_origin_is_a_key_mismatch()
    {
        Assert.True(_validator.TryVerify(Sealed(Id("alice", 0)), out _, out _));
        Assert.Equal(RecordRejection.KeyMismatch, Refusal(Sealed(Id("alice", 1), _mallory)));
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(2 * 86_400.0)]
    public void Implausible_epoch_lengths_are_refused(double seconds)
    {
        var length = (long)(seconds * Second);
        var envelope = Sealed(new EpochId("alice", NowMicros - 3 * length, length));
        Assert.Equal(RecordRejection.ImplausibleEpochLength, Refusal(envelope));
    }

    [Fact]
    public void A_record_from_beyond_the_clock_skew_is_refused_but_one_within_it_is_accepted()
    {
        Assert.True(_validator.TryVerify(Sealed(new EpochId("alice", NowMicros + 4 * 60 * Second, 10 * Second)), out _, out _));
        Assert.Equal(RecordRejection.FromTheFuture, Refusal(Sealed(new EpochId("alice", NowMicros + 6 * 60 * Second, 10 * Second))));
    }

    /// <summary>Issue 15: an origin whose clock membership measured an hour ahead seals records an hour "in the future".
    /// They are accepted and counted (the flag), as far as that offset explains; beyond it, and for others, refused.</summary>
    [Fact]
    public void A_record_from_an_origin_measured_an_hour_ahead_is_accepted_and_counted_as_far_as_the_offset_explains()
    {
        var offsets = new Dictionary<string, TimeSpan> { ["alice"] = TimeSpan.FromHours(1) };
        var validator = new RecordValidator(_trust, Key, new ReplicationOptions(), _time, o => offsets.TryGetValue(o, out var v) ? v : null);
        long hour = 3600 * Second;
        Assert.True(validator.TryVerify(Sealed(new EpochId("alice", NowMicros + hour + 4 * 60 * Second, 10 * Second)), out _, out _));
        Assert.Equal(1, validator.AcceptedFromSkewedClocks);
        // Within the ordinary tolerance: accepted, not flagged.
        Assert.True(validator.TryVerify(Sealed(new EpochId("alice", NowMicros + 60 * Second, 10 * Second)), out _, out _));
        Assert.Equal(1, validator.AcceptedFromSkewedClocks);
        // Beyond what the offset explains, or an origin measured behind (or not at all): from the future.
        Assert.False(validator.TryVerify(Sealed(new EpochId("alice", NowMicros + hour + 6 * 60 * Second, 10 * Second)), out _, out var why));
        Assert.Equal(RecordRejection.FromTheFuture, why);
        offsets["alice"] = TimeSpan.FromHours(-1);
        Assert.False(validator.TryVerify(Sealed(new EpochId("alice", NowMicros + hour, 10 * Second)), out _, out why));
        Assert.Equal(RecordRejection.FromTheFuture, why);
        Assert.Equal(1, validator.AcceptedFromSkewedClocks);
    }

    [Fact]
    public void A_record_older_than_retention_is_expired_so_pruned_data_never_comes_back()
    {
        var eightDays = 8 * 86_400 * Second;
        Assert.Equal(RecordRejection.Expired, Refusal(Sealed(new EpochId("alice", NowMicros - eightDays, 10 * Second))));
        Assert.Equal(0, _trust.Count);
    }

    [Fact]
    public void Expiry_follows_the_length_tier_so_roll_ups_outlive_the_raw_records_they_summarise()
    {
        var day = 86_400 * Second;
        RecordRejection Why(byte[] envelope)
        {
            Assert.False(_validator.TryVerify(envelope, out _, out var why));
            return why;
        }
        // Default tiers: raw 24 h, 1 min 7 days, 10 min 30 days, 1 h 90 days.
        Assert.Equal(RecordRejection.Expired, Why(Sealed(new EpochId("alice", NowMicros - 2 * day, 10 * Second))));
        Assert.True(_validator.TryVerify(Sealed(new EpochId("alice", NowMicros - 2 * day, 60 * Second)), out _, out _));
        Assert.Equal(RecordRejection.Expired, Why(Sealed(new EpochId("alice", NowMicros - 8 * day, 60 * Second))));
        Assert.True(_validator.TryVerify(Sealed(new EpochId("alice", NowMicros - 8 * day, 600 * Second)), out _, out _));
        Assert.True(_validator.TryVerify(Sealed(new EpochId("alice", NowMicros - 60 * day, 3600 * Second)), out _, out _));
        Assert.Equal(RecordRejection.Expired, Why(Sealed(new EpochId("alice", NowMicros - 91 * day, 3600 * Second))));
        Assert.True(RecordRetention.Default.Expired(new EpochId("x", NowMicros - 2 * day, 10 * Second), NowMicros));
        Assert.False(RecordRetention.Default.Expired(new EpochId("x", NowMicros - 2 * day, 3600 * Second), NowMicros));
    }

    [Fact]
    public void An_envelope_over_the_cap_is_oversized()
    {
        var small = new RecordValidator(_trust, Key, new ReplicationOptions { MaxEnvelopeBytes = 1000 }, _time);
        Assert.False(small.TryVerify(Sealed(Id("alice", 0)), out _, out var why));
        Assert.Equal(RecordRejection.Oversized, why);
    }

    [Fact]
    public void Truncated_and_random_input_is_refused_never_thrown_and_counted()
    {
        var envelope = Sealed(Id("alice", 0));
        var refused = 0;
        for (var cut = 0; cut < envelope.Length; cut += 7)
        {
            Assert.False(_validator.TryVerify(envelope.AsSpan(0, cut), out _, out _));
            refused++;
        }
        var random = new Random(11);
        for (var i = 0; i < 500; i++)
        {
            var junk = new byte[random.Next(0, 2000)];
            random.NextBytes(junk);
            if (junk.Length > 0) junk[0] = SignedRecord.Version;
            Assert.False(_validator.TryVerify(junk, out _, out _));
            refused++;
        }
        // Random bytes in the body of a well-formed envelope.
        for (var i = 0; i < 200; i++)
        {
            var mangled = (byte[])envelope.Clone();
            for (var j = 0; j < 5; j++) mangled[random.Next(mangled.Length)] = (byte)random.Next(256);
            if (_validator.TryVerify(mangled, out _, out _)) continue; // a flip that hit nothing is possible only if bytes unchanged
            refused++;
        }
        Assert.Equal(refused, _validator.Rejections.Total);
        Assert.Equal(0, _trust.Count);
    }

    [Fact]
    public void First_binding_raises_OriginBound_once_and_pins_do_not()
    {
        var bound = new List<(NodeId, byte[])>();
        _trust.OriginBound += (origin, key) => bound.Add((origin, key));
        using var carol = NodeIdentity.Generate();
        _trust.Pin(new NodeId("carol"), carol.PublicKey);

        Assert.True(_validator.TryVerify(Sealed(Id("alice", 0)), out _, out _));
        Assert.True(_validator.TryVerify(Sealed(Id("alice", 1)), out _, out _));
        var (origin, key) = Assert.Single(bound);
        Assert.Equal(new NodeId("alice"), origin);
        Assert.Equal(_alice.PublicKey, key);

        // Re-pinning what was persisted on a fresh start restores the binding: the impostor is still refused.
        var restarted = new TrustedOrigins();
        restarted.Pin(origin, key);
        var validator = new RecordValidator(restarted, Key, new ReplicationOptions(), _time);
        Assert.False(validator.TryVerify(Sealed(Id("alice", 2), _mallory), out _, out var why));
        Assert.Equal(RecordRejection.KeyMismatch, why);
    }

    private static byte[] SignedRecordBody(byte[] envelope)
    {
        Assert.True(SignedRecord.TryDecode(envelope, out var signed, out _));
        return signed!.Record.ToArray();
    }
}
