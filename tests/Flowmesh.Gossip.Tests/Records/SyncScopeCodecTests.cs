using Flowmesh.Core.Zones;
using Flowmesh.Gossip.Records;
using static Flowmesh.Gossip.Tests.Records.TestRecords;

namespace Flowmesh.Gossip.Tests.Records;

/// <summary>The scope tag on the wire (version 2): round trips, flat bytes unchanged, and hostile headers refused and counted.</summary>
public sealed class SyncScopeCodecTests
{
    private static readonly ReplicationOptions Options = new();
    private static readonly SyncScope LeafRecords = SyncScope.RecordsOf(ZonePath.Parse("site-a/3/7"));
    private static readonly SyncScope TopAggregates = SyncScope.AggregatesUnder(ZonePath.Root);
    private static readonly SyncScope SiteAggregates = SyncScope.AggregatesUnder(ZonePath.Parse("site-a"));

    private static readonly SyncMessage[] Samples =
    [
        new DigestRequest(123_456, [new OriginDigest("a", 3, 99, 0xdead_beef_0000_0001)], LeafRecords),
        new DigestRequest(5, [], TopAggregates),
        new ExchangeRequest([Id("a", 1)], [[1, 2, 3]], SiteAggregates),
        new ExchangeRequest([], [], LeafRecords),
        new ScopeRefused(LeafRecords, ZonePath.Parse("site-a/3/8")),
        new ScopeRefused(TopAggregates, null),
    ];

    [Fact]
    public void Scoped_messages_round_trip_with_their_scope_in_version_2()
    {
        foreach (var message in Samples)
        {
            var encoded = SyncCodec.Encode(message);
            Assert.Equal(SyncCodec.ScopedVersion, encoded[0]);
            Assert.True(SyncCodec.TryDecode(encoded, Options, out var decoded, out _));
            Assert.Equal(Describe(message), Describe(decoded!));
        }
    }

    [Fact]
    public void Flat_messages_keep_version_1_byte_for_byte()
    {
        // The layout before scopes, written out by hand: an old node must read a new flat node's requests unchanged.
        byte[] expected = [1, 1, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0];
        Assert.Equal(expected, SyncCodec.Encode(new DigestRequest(7, [])));
        Assert.Equal(new byte[] { 1, 3, 0, 0, 0, 0, 0, 0, 0, 0 }, SyncCodec.Encode(new ExchangeRequest([], [])));
        Assert.Equal(new byte[] { 1, 4, 0, 0, 0, 0 }, SyncCodec.Encode(new RecordsReply([])));
    }

    [Fact]
    public void A_refusal_of_a_flat_request_is_version_1_so_an_old_node_drops_it_as_an_unknown_type()
    {
        var encoded = SyncCodec.Encode(new ScopeRefused(null, ZonePath.Parse("b/2")));
        Assert.Equal(new byte[] { 1, 5, 3, (byte)'b', (byte)'/', (byte)'2' }, encoded);
        Assert.True(SyncCodec.TryDecode(encoded, Options, out var decoded, out _));
        var refused = Assert.IsType<ScopeRefused>(decoded);
        Assert.Null(refused.Refused);
        Assert.Equal("b/2", refused.ServedLeaf!.Text);
    }

    [Fact]
    public void Every_truncation_of_a_scoped_message_is_malformed_and_counted()
    {
        var drops = new SyncDropCounters();
        var expected = 0;
        foreach (var message in Samples)
        {
            var encoded = SyncCodec.Encode(message);
            for (var cut = 0; cut < encoded.Length; cut++)
            {
                Assert.False(SyncCodec.TryDecode(encoded.AsSpan(0, cut), Options, out var decoded, out var why, drops));
                Assert.Null(decoded);
                Assert.Equal(SyncDropReason.Malformed, why);
                expected++;
            }
        }
        Assert.Equal(expected, drops.Total);
    }

    [Theory]
    [InlineData(new byte[] { 2, 1, 0, 0 }, SyncDropReason.Malformed)] // kind 0
    [InlineData(new byte[] { 2, 1, 3, 0 }, SyncDropReason.Malformed)] // kind 3
    [InlineData(new byte[] { 2, 1, 1, 0 }, SyncDropReason.Malformed)] // a records scope of the root
    [InlineData(new byte[] { 2, 1, 1, 1, (byte)'A' }, SyncDropReason.Malformed)] // upper case is not a zone segment
    [InlineData(new byte[] { 2, 1, 1, 3, (byte)'a', (byte)'/', (byte)'/' }, SyncDropReason.Malformed)] // empty segment
    [InlineData(new byte[] { 2, 1, 1, 2, 0xc3, 0xa9 }, SyncDropReason.Malformed)] // non-ASCII
    [InlineData(new byte[] { 2, 1, 1, 1, 0 }, SyncDropReason.Malformed)] // a control byte
    [InlineData(new byte[] { 2, 1, 1, 64 }, SyncDropReason.Malformed)] // longer than a zone path may be
    [InlineData(new byte[] { 2, 1, 1, 255 }, SyncDropReason.Malformed)] // a length past the end
    [InlineData(new byte[] { 2, 2, 2, 0, 0, 0, 0, 0 }, SyncDropReason.UnknownType)] // replies are never scoped
    [InlineData(new byte[] { 2, 4, 2, 0, 0, 0, 0, 0 }, SyncDropReason.UnknownType)]
    [InlineData(new byte[] { 2, 9, 2, 0 }, SyncDropReason.UnknownType)]
    [InlineData(new byte[] { 3, 1, 2, 0 }, SyncDropReason.UnknownVersion)]
    [InlineData(new byte[] { 2, 5, 2, 0, 0, 0 }, SyncDropReason.Malformed)] // trailing byte after a refusal
    [InlineData(new byte[] { 1, 5, 1, (byte)'A' }, SyncDropReason.Malformed)] // a refusal naming no valid zone
    public void Hostile_scope_headers_are_refused_with_their_reason(byte[] data, SyncDropReason reason)
    {
        var drops = new SyncDropCounters();
        Assert.False(SyncCodec.TryDecode(data, Options, out var decoded, out var why, drops));
        Assert.Null(decoded);
        Assert.Equal(reason, why);
        Assert.Equal(1, drops[reason]);
    }

    [Fact]
    public void A_records_scope_of_the_root_cannot_be_sent()
    {
        Assert.Throws<ArgumentException>(() => SyncScope.RecordsOf(ZonePath.Root));
        Assert.Throws<ArgumentException>(() => SyncCodec.Encode(new DigestRequest(0, [], new SyncScope(SyncScopeKind.Records, ZonePath.Root))));
    }

    [Fact]
    public void Random_and_mutated_scoped_input_never_throws_and_every_refusal_is_counted()
    {
        var random = new Random(22);
        var drops = new SyncDropCounters();
        long refused = 0, accepted = 0;
        for (var i = 0; i < 20_000; i++)
        {
            byte[] data;
            if (i % 2 == 0)
            {
                data = new byte[random.Next(0, 120)];
                random.NextBytes(data);
                if (data.Length > 3) { data[0] = SyncCodec.ScopedVersion; data[1] = (byte)random.Next(1, 6); data[2] = (byte)random.Next(0, 4); }
            }
            else
            {
                data = SyncCodec.Encode(Samples[random.Next(Samples.Length)]);
                for (var j = 0; j < 2; j++) data[random.Next(data.Length)] = (byte)random.Next(256);
            }
            if (SyncCodec.TryDecode(data, Options, out var decoded, out _, drops))
            {
                accepted++;
                // Whatever decodes re-encodes to the same bytes: no field was half-read.
                Assert.Equal(data, SyncCodec.Encode(decoded!));
            }
            else refused++;
        }
        Assert.True(refused > 10_000);
        Assert.True(accepted > 0);
        Assert.Equal(refused, drops.Total);
    }

    [Fact]
    public void A_node_takes_part_in_its_leaf_records_and_each_ancestors_aggregates()
    {
        var scopes = SyncScope.Of(ZonePath.Parse("s/1/2"));
        Assert.Equal(["records of s/1/2", "aggregates under s/1", "aggregates under s", "aggregates under (root)"], scopes.Select(s => s.ToString()));
    }

    private static string Describe(SyncMessage message) => message switch
    {
        DigestRequest d => $"D {d.Scope} {d.SinceMicros} " + string.Join(";", d.Digests),
        ExchangeRequest x => $"X {x.Scope} [{string.Join(",", x.Wants)}] " + string.Join(";", x.Pushes.Select(Convert.ToHexString)),
        ScopeRefused r => $"N {r.Refused} {r.ServedLeaf}",
        _ => throw new ArgumentException("unknown"),
    };
}
