using System.Buffers.Binary;
using Flowmesh.Core.Epochs;
using Flowmesh.Gossip.Records;
using static Flowmesh.Gossip.Tests.Records.TestRecords;

namespace Flowmesh.Gossip.Tests.Records;

public sealed class SyncCodecTests
{
    private static readonly ReplicationOptions Options = new();

    private static readonly SyncMessage[] Samples =
    [
        new DigestRequest(123_456, [new OriginDigest("a", 3, 99, 0xdead_beef_0000_0001), new OriginDigest("bé", 0, long.MinValue, 0)]),
        new IdListReply([new OriginIds("a", [Id("a", 2), Id("a", 1)], false), new OriginIds("b", [], true)]),
        new ExchangeRequest([Id("a", 1), Id("zz", 7)], [[1, 2, 3], new byte[300]]),
        new RecordsReply([[9], [8, 7]]),
        new RecordsReply([]),
    ];

    [Fact]
    public void Every_message_round_trips_field_for_field()
    {
        foreach (var message in Samples)
        {
            var encoded = SyncCodec.Encode(message);
            Assert.True(SyncCodec.TryDecode(encoded, Options, out var decoded, out _));
            Assert.Equal(Describe(message), Describe(decoded!));
        }
    }

    [Fact]
    public void Every_truncation_is_dropped_as_malformed_and_counted()
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
        Assert.Equal(expected, drops[SyncDropReason.Malformed]);
        Assert.Equal(expected, drops.Total);
    }

    [Fact]
    public void Trailing_bytes_unknown_version_and_unknown_type_are_refused()
    {
        var encoded = SyncCodec.Encode(Samples[0]);
        Assert.False(SyncCodec.TryDecode([.. encoded, 0], Options, out _, out var why));
        Assert.Equal(SyncDropReason.Malformed, why);
        var other = (byte[])encoded.Clone();
        other[0] = 3; // 1 is flat, 2 scoped (SyncScopeCodecTests)
        Assert.False(SyncCodec.TryDecode(other, Options, out _, out why));
        Assert.Equal(SyncDropReason.UnknownVersion, why);
        other = (byte[])encoded.Clone();
        other[1] = 9;
        Assert.False(SyncCodec.TryDecode(other, Options, out _, out why));
        Assert.Equal(SyncDropReason.UnknownType, why);
    }

    [Fact]
    public void Hostile_counts_are_refused_before_anything_is_allocated()
    {
        // A 10-byte digest request claiming 2^31-1 origins, an id list claiming 100k ids in 20 bytes, huge envelopes.
        byte[] digest = [SyncCodec.Version, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff];
        Assert.False(SyncCodec.TryDecode(digest, Options, out _, out var why));
        Assert.Equal(SyncDropReason.TooManyEntries, why);

        byte[] ids = [SyncCodec.Version, 2, 0, 0, 0, 1, 1, (byte)'a', 0, 0, 0x01, 0x86, 0xa0, 1, 2, 3, 4, 5, 6, 7, 8];
        Assert.False(SyncCodec.TryDecode(ids, Options, out _, out why));
        Assert.Equal(SyncDropReason.TooManyEntries, why);

        var records = new byte[2 + 4 + 4 + 16];
        records[0] = SyncCodec.Version;
        records[1] = 4;
        BinaryPrimitives.WriteInt32BigEndian(records.AsSpan(2), 1);
        BinaryPrimitives.WriteInt32BigEndian(records.AsSpan(6), int.MaxValue);
        Assert.False(SyncCodec.TryDecode(records, Options, out _, out why));
        Assert.Equal(SyncDropReason.Oversized, why);

        Assert.False(SyncCodec.TryDecode(new byte[Options.MaxMessageBytes + 1], Options, out _, out why));
        Assert.Equal(SyncDropReason.Oversized, why);
    }

    [Fact]
    public void Bad_field_values_are_malformed()
    {
        // Non-UTF-8 origin, zero-length epoch, negative count.
        byte[] badOrigin = [SyncCodec.Version, 3, 0, 0, 0, 1, 1, 0xff, .. new byte[16], 0, 0, 0, 0];
        Assert.False(SyncCodec.TryDecode(badOrigin, Options, out _, out var why));
        Assert.Equal(SyncDropReason.Malformed, why);
        byte[] zeroLength = [SyncCodec.Version, 3, 0, 0, 0, 1, 1, (byte)'a', .. new byte[16], 0, 0, 0, 0];
        Assert.False(SyncCodec.TryDecode(zeroLength, Options, out _, out why));
        Assert.Equal(SyncDropReason.Malformed, why);
        byte[] negative = [SyncCodec.Version, 4, 0xff, 0xff, 0xff, 0xff];
        Assert.False(SyncCodec.TryDecode(negative, Options, out _, out why));
        Assert.Equal(SyncDropReason.Malformed, why);
    }

    [Fact]
    public void Random_and_mutated_input_never_throws_and_every_refusal_is_counted()
    {
        var random = new Random(21);
        var drops = new SyncDropCounters();
        long refused = 0;
        for (var i = 0; i < 20_000; i++)
        {
            byte[] data;
            if (i % 2 == 0)
            {
                data = new byte[random.Next(0, 200)];
                random.NextBytes(data);
                if (data.Length > 1) { data[0] = SyncCodec.Version; data[1] = (byte)random.Next(1, 5); }
            }
            else
            {
                data = SyncCodec.Encode(Samples[random.Next(Samples.Length)]);
                for (var j = 0; j < 3; j++) data[random.Next(data.Length)] = (byte)random.Next(256);
            }
            if (!SyncCodec.TryDecode(data, Options, out _, out _, drops)) refused++;
        }
        Assert.True(refused > 10_000);
        Assert.Equal(refused, drops.Total);
    }

    private static string Describe(SyncMessage message) => message switch
    {
        DigestRequest d => $"D {d.SinceMicros} " + string.Join(";", d.Digests),
        IdListReply r => "I " + string.Join(";", r.Origins.Select(g => $"{g.Origin} {g.Truncated} [{string.Join(",", g.Ids)}]")),
        ExchangeRequest x => $"X [{string.Join(",", x.Wants)}] " + string.Join(";", x.Pushes.Select(Convert.ToHexString)),
        RecordsReply rr => "R " + string.Join(";", rr.Envelopes.Select(Convert.ToHexString)),
        _ => throw new ArgumentException("unknown"),
    };
}
