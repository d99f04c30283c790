using Flowmesh.IntegrationTests.Comparison;
using Flowmesh.IntegrationTests.Infrastructure;
using Flowmesh.IntegrationTests.Synthetic;

namespace Flowmesh.IntegrationTests;

/// <summary>
/// The same traffic in every capture file flavour a reader must accept: classic pcap in both byte
/// orders with microsecond or nanosecond timestamps, and pcapng (written by editcap, nanosecond
/// resolution kept). Each must match tshark exactly, times included (nanoseconds cut to microseconds).
/// </summary>
public sealed class FileFormatVariantTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Classic_pcap_matches_tshark(bool nanosecond, bool bigEndian)
    {
        string tshark = ExternalTool.RequireOrSkip("tshark");
        using var dir = new TemporaryDirectory();
        string path = dir.File("variant.pcap");
        MixedTraffic.Create(frames: 300, seed: 42).Save(path, nanosecond, bigEndian);

        var comparison = TsharkComparison.Run(tshark, path, Timeout);

        Assert.Equal(300, comparison.Reference.Frames);
        comparison.AssertExactMatch();
    }

    [Fact]
    public void Pcapng_with_nanosecond_resolution_matches_tshark()
    {
        string tshark = ExternalTool.RequireOrSkip("tshark");
        string editcap = ExternalTool.RequireOrSkip("editcap");
        using var dir = new TemporaryDirectory();
        string nsecPcap = dir.File("source.pcap");
        MixedTraffic.Create(frames: 300, seed: 43).Save(nsecPcap, nanosecond: true);
        string pcapng = dir.File("variant.pcapng");
        var convert = ChildProcess.Run(editcap, ["-F", "pcapng", nsecPcap, pcapng], Timeout);
        Assert.True(convert.ExitCode == 0, convert.StandardError);

        var comparison = TsharkComparison.Run(tshark, pcapng, Timeout);

        Assert.Equal(300, comparison.Reference.Frames);
        comparison.AssertExactMatch();
    }
}
