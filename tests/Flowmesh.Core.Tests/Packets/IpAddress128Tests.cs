using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Tests.Packets;

public sealed class IpAddress128Tests
{
    [Theory]
    [InlineData("10.1.2.3")]
    [InlineData("0.0.0.0")]
    [InlineData("2001:db8::1")]
    [InlineData("::1")]
    public void RoundTripsThroughText(string text)
    {
        var address = IpAddress128.Parse(text);
        Assert.Equal(text, address.ToString());
        Assert.Equal(text.Contains('.'), address.IsIPv4);
    }

    [Fact]
    public void OrdersAsNetworkBytes()
    {
        Assert.True(IpAddress128.Parse("10.0.0.2") < IpAddress128.Parse("10.0.1.1"));
        Assert.True(IpAddress128.Parse("10.0.0.2") < IpAddress128.Parse("2001:db8::1"));
    }
}

public sealed class IpAddress128FormattingTests
{
    [Fact]
    public void FormatsLikeSystemNetForRandomAddresses()
    {
        var random = new Random(99);
        var bytes = new byte[16];
        for (int i = 0; i < 5000; i++)
        {
            random.NextBytes(bytes);
            if (i % 3 == 0) Array.Clear(bytes, 4, 10); // runs of zeros exercise RFC 5952 "::"
            var v4 = new System.Net.IPAddress(bytes.AsSpan(0, 4));
            var v6 = new System.Net.IPAddress(bytes);
            Assert.Equal(v4.ToString(), IpAddress128.From(v4).ToString());
            Assert.Equal(v6.ToString(), IpAddress128.From(v6).ToString());
        }
    }

    [Fact]
    public void ReportsATooSmallBuffer()
    {
        Assert.False(IpAddress128.Parse("192.168.100.200").TryFormat(new char[10], out _));
        Assert.True(IpAddress128.Parse("192.168.100.200").TryFormat(new char[15], out int written));
        Assert.Equal(15, written);
    }
}
