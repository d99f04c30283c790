using Flowmesh.Core.Epochs;
using Flowmesh.Core.Zones;
using Flowmesh.Gossip.Records;
using Flowmesh.Gossip.Security;
using Flowmesh.Gossip.Tests.Records;
using Flowmesh.Gossip.Zones;
using static Flowmesh.Gossip.Tests.Records.TestRecords;

namespace Flowmesh.Gossip.Tests.Zones;

/// <summary>
/// The receiving side of aggregates: signed by the producer they name, decodable under the cluster's sketch key,
/// a plausible period. Every attack here is one a host with or without the cluster key can mount on the wire.
/// </summary>
public sealed class AggregateValidatorTests : IDisposable
{
    private static readonly ZonePath Zone = ZonePath.Parse("lab/4");
    private readonly NodeIdentity _producer = NodeIdentity.Generate();
    private readonly NodeIdentity _mallory = NodeIdentity.Generate();
    private readonly TrustedOrigins _trust = new();
    private readonly AggregateValidator _validator;

    public AggregateValidatorTests() =>
        _validator = new AggregateValidator(_trust, Key, new ReplicationOptions(), new FixedTime(Now));

    public void Dispose()
    {
        _producer.Dispose();
        _mallory.Dispose();
    }

    /// <summary>A leaf zone's merge of three PCs' first epoch of period <paramref name="period"/> (30 s each, two minutes ago).</summary>
    private static ZoneAggregate Aggregate(string producer, int period = 0)
    {
        long start = NowMicros - 120 * Second + period * 30 * Second;
        return ZoneAggregate.FromRecords(Zone, start, 30 * Second, producer,
            [.. Enumerable.Range(0, 3).Select(i => Typical(new EpochId($"pc-{i}", start, 10 * Second)))]);
    }

    [Fact]
    public void An_aggregate_signed_by_its_producer_is_accepted_under_an_id_that_carries_its_weight()
    {
        var aggregate = Aggregate("pc-0");
        var sealed_ = new AggregateSealer(_producer, new NodeId("pc-0")).Seal(aggregate);
        Assert.True(_validator.TryVerify(sealed_.SignedEnvelope, out var verified, out var decoded, out _));
        Assert.Equal(AggregateSealer.IdOf(aggregate), verified!.Id);
        Assert.Equal("@lab/4#3", verified.Id.Origin);
        Assert.Equal(aggregate.Hash, decoded!.Hash);
    }

    [Fact]
    public void An_aggregate_naming_another_producer_than_its_signer_is_refused()
    {
        // Mallory holds the cluster key and a node key, and signs a merge that claims pc-0 made it.
        var forged = SignedRecord.Create(_mallory, new NodeId("mallory"), Aggregate("pc-0").Encode()).Encode();
        Assert.False(_validator.TryVerify(forged, out _, out var why));
        Assert.Equal(RecordRejection.OriginMismatch, why);
    }

    [Fact]
    public void A_second_key_for_a_producer_name_is_refused()
    {
        var first = new AggregateSealer(_producer, new NodeId("pc-0")).Seal(Aggregate("pc-0"));
        Assert.True(_validator.TryVerify(first.SignedEnvelope, out _, out _));
        var squatter = new AggregateSealer(_mallory, new NodeId("pc-0")).Seal(Aggregate("pc-0", period: 1));
        Assert.False(_validator.TryVerify(squatter.SignedEnvelope, out _, out var why));
        Assert.Equal(RecordRejection.KeyMismatch, why);
    }

    [Fact]
    public void An_epoch_record_in_an_aggregate_envelope_is_refused_as_undecodable()
    {
        var record = Typical(Id("pc-0", 0));
        var envelope = SignedRecord.Create(_producer, new NodeId("pc-0"), record.Encode()).Encode();
        Assert.False(_validator.TryVerify(envelope, out _, out var why));
        Assert.Equal(RecordRejection.UndecodableRecord, why);
    }

    [Fact]
    public void Truncations_bit_flips_and_random_bytes_are_refused_without_throwing()
    {
        var envelope = new AggregateSealer(_producer, new NodeId("pc-0")).Seal(Aggregate("pc-0")).SignedEnvelope;
        for (int n = 0; n < envelope.Length; n += 7)
            Assert.False(_validator.TryVerify(envelope.AsSpan(0, n), out _, out _));
        var random = new Random(11);
        for (int i = 0; i < 300; i++)
        {
            var flipped = (byte[])envelope.Clone();
            int bit = random.Next(flipped.Length * 8);
            flipped[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(_validator.TryVerify(flipped, out _, out _));
            var noise = new byte[random.Next(0, 4096)];
            random.NextBytes(noise);
            Assert.False(_validator.TryVerify(noise, out _, out _));
        }
        Assert.True(_validator.Rejections.Total >= 900);
    }

    [Fact]
    public void A_period_from_the_future_is_refused()
    {
        var future = ZoneAggregate.FromRecords(Zone, NowMicros + 3600 * Second, 30 * Second, "pc-0",
            [Typical(new EpochId("pc-1", NowMicros + 3600 * Second, 10 * Second))]);
        var envelope = new AggregateSealer(_producer, new NodeId("pc-0")).Seal(future).SignedEnvelope;
        Assert.False(_validator.TryVerify(envelope, out _, out var why));
        Assert.Equal(RecordRejection.FromTheFuture, why);
    }
}
