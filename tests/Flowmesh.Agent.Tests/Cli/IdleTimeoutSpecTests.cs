using Flowmesh.Agent.Cli;
using Flowmesh.Core.Flows;

namespace Flowmesh.Agent.Tests.Cli;

public sealed class IdleTimeoutSpecTests
{
    [Fact]
    public void SetsOnlyTheNamedClasses()
    {
        var defaults = new FlowTableOptions();
        var options = IdleTimeoutSpec.Apply(defaults, "tcp=20, udp=60.5,closed=1", out var error);
        Assert.Null(error);
        Assert.Equal(TimeSpan.FromSeconds(20), options.TcpIdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(60.5), options.UdpIdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1), options.TcpClosedTimeout);
        Assert.Equal(defaults.IcmpIdleTimeout, options.IcmpIdleTimeout);
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("tcp=")]
    [InlineData("tcp=-1")]
    [InlineData("tcp=abc")]
    [InlineData("gre=5")]
    [InlineData("udp=1e12")]
    public void RejectsWhatIsNotClassEqualsSeconds(string spec)
    {
        IdleTimeoutSpec.Apply(new FlowTableOptions(), spec, out var error);
        Assert.NotNull(error);
    }
}
