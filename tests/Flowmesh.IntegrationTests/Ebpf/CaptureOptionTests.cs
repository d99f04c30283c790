using Flowmesh.IntegrationTests.Cli;
using Flowmesh.IntegrationTests.Infrastructure;

namespace Flowmesh.IntegrationTests.Ebpf;

/// <summary>Combinations of live-capture options that cannot work are refused before anything is opened, with a message naming the fix.</summary>
public sealed class CaptureOptionTests
{
    [Theory]
    [InlineData("--filter works with libpcap only", "flows", "--capture", "ebpf", "--filter", "tcp", "--interface", "lo")]
    [InlineData("libpcap captures one interface", "flows", "--capture", "pcap", "--interface", "lo", "--interface", "eth0")]
    [InlineData("--capture chooses how to capture live", "flows", "--capture", "ebpf", "--pcap", "x.pcap")]
    [InlineData("--ebpf-map-size must be at least 1", "flows", "--ebpf-map-size", "0", "--interface", "lo")]
    public void Impossible_combinations_are_usage_errors(string message, params string[] arguments)
    {
        ProcessResult result = FlowmeshCli.Run(arguments, TimeSpan.FromSeconds(60));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.StandardError);
        Assert.Equal("", result.StandardOutput);
    }

    [Fact]
    public void Unknown_backend_is_rejected()
    {
        ProcessResult result = FlowmeshCli.Run(["flows", "--capture", "afpacket"], TimeSpan.FromSeconds(60));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("afpacket", result.StandardError);
    }
}
