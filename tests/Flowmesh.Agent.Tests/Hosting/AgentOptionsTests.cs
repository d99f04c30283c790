using System.Net;
using Flowmesh.Agent.Hosting;
using Flowmesh.Capture;

namespace Flowmesh.Agent.Tests.Hosting;

/// <summary>AgentOptions.Validate: the defaults run; each rule refuses the options that break it, in the words of the flag.</summary>
public sealed class AgentOptionsTests
{
    private static readonly AgentOptions Valid = new() { Name = "pc-1", DataDirectory = "/tmp/flowmesh-options-test" };

    [Fact]
    public void TheDefaultsAreValid() => Assert.Null(Valid.Validate());

    private static readonly (string Message, AgentOptions Options)[] Broken =
    [
        ("--name", Valid with { Name = "two words" }),
        ("--data-dir", Valid with { DataDirectory = " " }),
        ("--interface", Valid with { Interfaces = [""] }),
        ("libpcap captures one interface", Valid with { Capture = CaptureBackend.Pcap, Interfaces = ["eth0", "eth1"] }),
        ("--capture none", Valid with { Capture = null, Interfaces = ["eth0"] }),
        ("--api and --bind", Valid with { Api = new IPEndPoint(IPAddress.Loopback, 7946), Bind = new IPEndPoint(IPAddress.Loopback, 7946) }),
        ("--epoch", Valid with { EpochLength = TimeSpan.FromMilliseconds(500) }),
        ("--epoch", Valid with { EpochLength = TimeSpan.FromHours(2) }),
        ("whole number of milliseconds", Valid with { EpochLength = TimeSpan.FromTicks(TimeSpan.TicksPerSecond * 2 + 1) }),
        ("--retention must be between", Valid with { RetentionAge = TimeSpan.FromMinutes(30) }),
        ("at least two epochs", Valid with { EpochLength = TimeSpan.FromHours(1), RetentionAge = TimeSpan.FromHours(1.5) }),
        ("--retention-mib", Valid with { RetentionBytes = 1000 }),
        ("snap length", Valid with { CaptureSnapLength = 20 }),
        ("leave timeout", Valid with { LeaveTimeout = TimeSpan.Zero }),
    ];

    [Fact]
    public void EachRuleRefusesWhatBreaksIt()
    {
        foreach (var (message, options) in Broken)
            Assert.True(options.Validate()?.Contains(message, StringComparison.Ordinal) == true, $"expected '{message}', got '{options.Validate()}'");
    }
}
