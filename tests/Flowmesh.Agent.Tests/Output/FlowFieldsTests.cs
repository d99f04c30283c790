using Flowmesh.Agent.Output;
using Flowmesh.Core.Flows;

namespace Flowmesh.Agent.Tests.Output;

public sealed class FlowFieldsTests
{
    [Theory]
    [InlineData(0L, "1970-01-01T00:00:00.000000Z")]
    [InlineData(1_700_000_000_123_456L, "2023-11-14T22:13:20.123456Z")]
    [InlineData(1L, "1970-01-01T00:00:00.000001Z")]
    // Outside what RFC 3339 can write: clamped, not thrown (nfstream's dhcp_*_endian.pcapng are in year 151991).
    [InlineData(4_734_231_571_822_539_464L, "9999-12-31T23:59:59.999999Z")]
    [InlineData(long.MaxValue, "9999-12-31T23:59:59.999999Z")]
    [InlineData(long.MinValue, "0001-01-01T00:00:00.000000Z")]
    public void TimestampsAreRfc3339WithMicroseconds(long micros, string expected) =>
        Assert.Equal(expected, Core.UnixMicros.Format(micros));

    [Fact]
    public void TimestampsAgreeWithTheFrameworkFormatter()
    {
        var random = new Random(7);
        for (int i = 0; i < 10_000; i++)
        {
            long micros = random.NextInt64(0, 253_402_300_799_999_999);
            string expected = DateTime.UnixEpoch.AddTicks(micros * 10).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(expected, Core.UnixMicros.Format(micros));
        }
    }

    [Theory]
    [InlineData(0x02, "......S.")]
    [InlineData(0x12, "...A..S.")]
    [InlineData(0x1B, "...AP.SF")]
    [InlineData(0xFF, "CEUAPRSF")]
    public void TcpFlagsReadLikeNfdump(byte flags, string expected) =>
        Assert.Equal(expected, FlowFields.TcpFlagLetters(flags));

    [Fact]
    public void EveryEndReasonHasAName()
    {
        foreach (var reason in Enum.GetValues<FlowEndReason>())
            Assert.NotEqual("unknown", FlowFields.EndReason(reason));
    }
}
