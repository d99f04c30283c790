using Flowmesh.Capture.HostContext;

namespace Flowmesh.Capture.Tests.HostContext;

public sealed class HostContextOptionsTests
{
    [Theory]
    [InlineData(new string[0], "process,tcp,dns,drops")]
    [InlineData(new[] { "all" }, "process,tcp,dns,drops")]
    [InlineData(new[] { "none" }, "none")]
    [InlineData(new[] { "process,dns" }, "process,dns")]
    [InlineData(new[] { "DNS", "tcp" }, "tcp,dns")]
    [InlineData(new[] { " drops , process " }, "process,drops")]
    public void ParsesSubsetsAllAndNone(string[] values, string expected)
    {
        var options = HostContextOptions.Parse(values, out string? error);
        Assert.Null(error);
        Assert.Equal(expected, options!.ToString());
    }

    [Theory]
    [InlineData("processes")]
    [InlineData("rtt")]
    [InlineData("process;dns")]
    public void RefusesUnknownNamesSayingWhichAreKnown(string value)
    {
        Assert.Null(HostContextOptions.Parse([value], out string? error));
        Assert.Contains("process, tcp, dns, drops", error);
    }

    [Fact]
    public void NoSourceStartsNothing()
    {
        using var session = HostContextSources.StartLive(HostContextOptions.None, new LiveCaptureRequest([], null, 256, 1 << 20, false, CaptureBackend.Pcap), null, TextWriter.Null);
        Assert.True(session.Resolver.IsEmpty);
        Assert.Empty(session.Notes);
    }
}
