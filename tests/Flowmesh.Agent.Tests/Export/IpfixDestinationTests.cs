using Flowmesh.Agent.Export;

namespace Flowmesh.Agent.Tests.Export;

/// <summary>`--ipfix` takes HOST:PORT, udp:// and tcp://, IPv6 in brackets, the IANA port by default; anything else is a usage error that says why.</summary>
public sealed class IpfixDestinationTests
{
    [Theory]
    [InlineData("127.0.0.1:2055", "127.0.0.1", 2055, false)]
    [InlineData("udp://collector.example:9995", "collector.example", 9995, false)]
    [InlineData("tcp://10.1.2.3:4739", "10.1.2.3", 4739, true)]
    [InlineData("TCP://[::1]:4740", "::1", 4740, true)]
    [InlineData("[fd00::5]", "fd00::5", 4739, false)]
    [InlineData(" collector ", "collector", 4739, false)]
    public void Accepts(string text, string host, int port, bool tcp)
    {
        var destination = IpfixDestination.Parse(text, out string? error);
        Assert.Null(error);
        Assert.Equal(new IpfixDestination(host, port, tcp), destination);
    }

    [Theory]
    [InlineData("sctp://127.0.0.1:4739", "only udp:// and tcp://")]
    [InlineData("::1:4739", "in brackets")]
    [InlineData("[::1:4739", "unclosed")]
    [InlineData("[::1]4739", "is not [ADDRESS]:PORT")]
    [InlineData("127.0.0.1:0", "port must be")]
    [InlineData("127.0.0.1:70000", "port must be")]
    [InlineData("127.0.0.1:-1", "port must be")]
    [InlineData(":4739", "neither an IP address nor a host name")]
    [InlineData("bad host:4739", "neither an IP address nor a host name")]
    public void Refuses_with_a_reason(string text, string reason)
    {
        Assert.Null(IpfixDestination.Parse(text, out string? error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
        Assert.StartsWith("--ipfix", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Prints_the_scheme_and_brackets()
    {
        Assert.Equal("tcp://[::1]:4739", new IpfixDestination("::1", 4739, true).ToString());
        Assert.Equal("udp://127.0.0.1:2055", new IpfixDestination("127.0.0.1", 2055, false).ToString());
    }
}
