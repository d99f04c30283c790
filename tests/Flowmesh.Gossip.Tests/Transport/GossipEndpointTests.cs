using System.Net;
using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Transport;

namespace Flowmesh.Gossip.Tests.Transport;

public sealed class GossipEndpointTests
{
    [Theory]
    [InlineData("127.0.0.1:7946", "127.0.0.1", 7946)]
    [InlineData("10.1.2.3:1", "10.1.2.3", 1)]
    [InlineData("[::1]:65535", "::1", 65535)]
    [InlineData("[fe80::1:2]:7946", "fe80::1:2", 7946)]
    public void Parses_ip_and_port_and_formats_back_to_the_same_text(string text, string ip, int port)
    {
        var endpoint = GossipEndpoint.Parse(new GossipAddress(text));
        Assert.Equal(IPAddress.Parse(ip), endpoint.Address);
        Assert.Equal(port, endpoint.Port);
        Assert.Equal(text, GossipEndpoint.ToAddress(endpoint).Value);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("127.0.0.1", "missing port")]
    [InlineData("127.0.0.1:0", "port must be")]
    [InlineData("127.0.0.1:65536", "port must be")]
    [InlineData("127.0.0.1:-5", "port must be")]
    [InlineData("127.0.0.1:80x", "port must be")]
    [InlineData("::1:7946", "must be written [address]:port")]
    [InlineData("[::1]7946", "[address]:port")]
    [InlineData("[127.0.0.1]:80", "not an IP address")]
    [InlineData("example.org:7946", "not an IP address")]
    [InlineData("300.1.1.1:7946", "not an IP address")]
    public void Bad_addresses_get_a_message_that_says_what_is_wrong(string text, string expected)
    {
        Assert.False(GossipEndpoint.TryParse(text, out var endpoint, out var error));
        Assert.Null(endpoint);
        Assert.Contains(expected, error);
        var thrown = Assert.Throws<FormatException>(() => GossipEndpoint.Parse(new GossipAddress(text)));
        Assert.Equal(error, thrown.Message);
    }

    [Fact]
    public void An_ipv4_mapped_ipv6_endpoint_is_written_as_ipv4()
    {
        var mapped = new IPEndPoint(IPAddress.Parse("127.0.0.5").MapToIPv6(), 7946);
        Assert.Equal("127.0.0.5:7946", GossipEndpoint.ToAddress(mapped).Value);
    }
}
