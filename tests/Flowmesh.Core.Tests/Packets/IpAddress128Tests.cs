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
