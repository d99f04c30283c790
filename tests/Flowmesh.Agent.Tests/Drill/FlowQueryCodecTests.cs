using Flowmesh.Agent.Drill;
using Flowmesh.Core.Packets;

namespace Flowmesh.Agent.Tests.Drill;

/// <summary>The drill-down wire format: round trips, and truncated, random and hostile bytes refused without throwing.</summary>
public sealed class FlowQueryCodecTests
{
    private static readonly FlowQuery Query = new(1_000_000, 61_000_000, IpAddress128.Parse("10.0.3.0"), 96 + 24, 443, 6, 250);

    private static FlowRow Row(int i) => new(60_000_000L * i, 10_000_000, (byte)(i % 2 == 0 ? 6 : 17),
        IpAddress128.Parse($"10.0.3.{i % 250}"), (ushort)(40000 + i), IpAddress128.Parse("fd00::7"), 443,
        1000L * i, i, 2000L * i, 2L * i, 5_000_000L + i, 9_000_000L + i) { TcpFlags = (byte)(i * 7) };

    [Fact]
    public void RequestRoundTrips()
    {
        var bytes = FlowQueryCodec.EncodeRequest(Query);
        Assert.Equal(FlowQueryCodec.RequestBytes, bytes.Length);
        Assert.Equal(Query, FlowQueryCodec.DecodeRequest(bytes, out string? error));
        Assert.Null(error);
        var any = Query with { Port = null, Protocol = null };
        Assert.Equal(any, FlowQueryCodec.DecodeRequest(FlowQueryCodec.EncodeRequest(any), out _));
    }

    [Fact]
    public void ReplyRoundTripsEveryField()
    {
        var rows = Enumerable.Range(1, 20).Select(Row).ToList();
        var reply = FlowQueryCodec.DecodeReply(FlowQueryCodec.EncodeReply(new FlowQueryReply(rows, true, false, 123_456)), out string? error);
        Assert.Null(error);
        Assert.NotNull(reply);
        Assert.Equal(rows, reply.Rows);
        Assert.True(reply.Truncated);
        Assert.False(reply.LogDisabled);
        Assert.Equal(123_456, reply.OldestEpochMicros);
        var empty = FlowQueryCodec.DecodeReply(FlowQueryCodec.EncodeReply(new FlowQueryReply([], false, true, null)), out _);
        Assert.NotNull(empty);
        Assert.Empty(empty.Rows);
        Assert.True(empty.LogDisabled);
        Assert.Null(empty.OldestEpochMicros);
    }

    [Fact]
    public void ReplyIsCutToItsByteBoundAndSaysSo()
    {
        var rows = Enumerable.Range(1, 50).Select(Row).ToList();
        var bytes = FlowQueryCodec.EncodeReply(new FlowQueryReply(rows, false, false, null), maxBytes: 15 + 10 * FlowQueryCodec.RowBytes);
        var reply = FlowQueryCodec.DecodeReply(bytes, out _)!;
        Assert.Equal(rows.Take(10), reply.Rows);
        Assert.True(reply.Truncated);
    }

    [Fact]
    public void EveryTruncationIsRefusedWithAReason()
    {
        var request = FlowQueryCodec.EncodeRequest(Query);
        for (int n = 0; n < request.Length; n++)
        {
            Assert.Null(FlowQueryCodec.DecodeRequest(request.AsSpan(0, n), out string? error));
            Assert.False(string.IsNullOrEmpty(error));
        }
        var reply = FlowQueryCodec.EncodeReply(new FlowQueryReply([.. Enumerable.Range(1, 3).Select(Row)], false, false, 5));
        for (int n = 0; n < reply.Length; n++)
        {
            Assert.Null(FlowQueryCodec.DecodeReply(reply.AsSpan(0, n), out string? error));
            Assert.False(string.IsNullOrEmpty(error));
        }
        Assert.Null(FlowQueryCodec.DecodeRequest([.. request, 0], out _));
        Assert.Null(FlowQueryCodec.DecodeReply([.. reply, 0], out _));
    }

    [Fact]
    public void HostileFieldsAreRefused()
    {
        var request = FlowQueryCodec.EncodeRequest(Query);
        byte[] Patched(byte[] source, int at, params byte[] values)
        {
            var copy = source.ToArray();
            values.CopyTo(copy, at);
            return copy;
        }
        Assert.Null(FlowQueryCodec.DecodeRequest(Patched(request, 0, 2), out _));            // future version
        Assert.Null(FlowQueryCodec.DecodeRequest(Patched(request, 1, 2), out _));            // a reply where a request belongs
        Assert.Null(FlowQueryCodec.DecodeRequest(Patched(request, 34, 129), out _));         // prefix longer than 128
        Assert.Null(FlowQueryCodec.DecodeRequest(Patched(request, 35, 0x80), out _));        // unknown flag
        Assert.Null(FlowQueryCodec.DecodeRequest(Patched(request, 39, 0x7F, 0xFF, 0xFF, 0xFF), out _)); // limit 2^31-1
        Assert.Null(FlowQueryCodec.DecodeRequest(Patched(request, 39, 0, 0, 0, 0), out _));  // limit 0
        Assert.Null(FlowQueryCodec.DecodeRequest(Patched(request, 2, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF), out _)); // from after to

        var reply = FlowQueryCodec.EncodeReply(new FlowQueryReply([Row(1)], false, false, null));
        Assert.Null(FlowQueryCodec.DecodeReply(Patched(reply, 11, 0x7F, 0xFF, 0xFF, 0xFF), out string? countError)); // 2^31-1 rows, 1 present
        Assert.Contains("outside", countError);
        Assert.Null(FlowQueryCodec.DecodeReply(Patched(reply, 11, 0, 0, 0, 2), out _));       // 2 rows claimed, 1 present
        Assert.Null(FlowQueryCodec.DecodeReply(Patched(reply, 2, 0x10), out _));              // unknown flag
        Assert.Null(FlowQueryCodec.DecodeReply(Patched(reply, 15 + 37, 0x80), out string? negative)); // negative byte count
        Assert.Contains("negative", negative);
        // Numbers that would wrap a sum or break the time formatting of /api/v1/flows for everyone (issue 11).
        Assert.Null(FlowQueryCodec.DecodeReply(Patched(reply, 15 + 37, 0x7F), out string? huge));     // bytes out near 2^63
        Assert.Contains("2^62", huge);
        Assert.Null(FlowQueryCodec.DecodeReply(Patched(reply, 15 + 77, 0x7F), out string? future));   // last packet after year 9999
        Assert.Contains("times", future);
        Assert.Null(FlowQueryCodec.DecodeReply(Patched(reply, 15 + 69, 0x80), out _));               // first packet before 1970
        Assert.Null(FlowQueryCodec.DecodeReply(Patched(reply, 15 + 69, 0, 0, 0, 0, 0x10), out _));   // first packet after the last
        Assert.Null(FlowQueryCodec.DecodeReply(Patched(reply, 15 + 85, 0x7F), out _));               // epoch after year 9999
    }

    [Fact]
    public void RandomBytesNeverThrowAndAreAlmostAlwaysRefused()
    {
        var random = new Random(20261124);
        int accepted = 0;
        for (int i = 0; i < 20_000; i++)
        {
            var bytes = new byte[random.Next(0, 300)];
            random.NextBytes(bytes);
            if (random.Next(2) == 0 && bytes.Length >= 2) (bytes[0], bytes[1]) = (1, (byte)random.Next(1, 3));
            if (FlowQueryCodec.DecodeRequest(bytes, out _) is not null) accepted++;
            if (FlowQueryCodec.DecodeReply(bytes, out _) is not null) accepted++;
        }
        // Only exact-length requests with valid fields could pass; random ones almost never have them all.
        Assert.True(accepted < 10, $"{accepted} random inputs accepted");
    }

    [Fact]
    public async Task TheServerDropsAndCountsAMalformedRequest()
    {
        var server = new FlowQueryServer(null);
        Assert.Null(await server.HandleAsync(new Gossip.NodeId("peer"), new byte[] { 1, 1, 0 }, CancellationToken.None));
        Assert.Equal(1, server.Malformed);
        var answer = await server.HandleAsync(new Gossip.NodeId("peer"), FlowQueryCodec.EncodeRequest(Query), CancellationToken.None);
        var reply = FlowQueryCodec.DecodeReply(answer!, out _)!;
        Assert.True(reply.LogDisabled);
        Assert.Equal(1, server.Served);
    }
}
