using Flowmesh.Capture.Files;
using Flowmesh.Core.Flows;

namespace Flowmesh.Capture.Tests.Files;

public sealed class PcapFileSourceTests
{
    [Fact]
    public void Feeds_every_frame_to_the_meter_and_reports_where_a_damaged_file_stopped()
    {
        var w = TestCaptureWriter.Pcap(false, false, 0, 1);
        for (uint i = 0; i < 10; i++) w.PcapRecord(1_700_000_000 + i, 0, new byte[60]);
        w.PcapRecord(2_000_000_000, 0, new byte[60], capturedLengthField: 1_000_000);
        using var source = new PcapFileSource(new CaptureFileReader(new MemoryStream(w.ToArray()), "damaged.pcap"));
        Assert.Equal("pcap file damaged.pcap", source.Description);
        var meter = NewMeterOrSkip();

        source.Run(meter, CancellationToken.None);

        Assert.Equal(10, meter.FramesSeen);
        Assert.Equal(1_700_000_009_000_000L, meter.ClockMicros);
        Assert.Equal(10, source.Statistics.Frames);
        Assert.Contains("absurd captured length 1000000 at byte offset 784 (frame 11)", source.Statistics.StoppedEarly);
    }

    [Fact]
    public void Cancellation_stops_a_long_file()
    {
        var w = TestCaptureWriter.Pcap(false, false, 0, 1);
        for (uint i = 0; i < 10_000; i++) w.PcapRecord(1_700_000_000, i, new byte[20]);
        using var source = new PcapFileSource(new CaptureFileReader(new MemoryStream(w.ToArray()), "long.pcap"));
        var meter = NewMeterOrSkip();
        source.Run(meter, new CancellationToken(canceled: true));
        Assert.Equal(4096, meter.FramesSeen);
    }

    internal static FlowMeter NewMeterOrSkip()
    {
        try
        {
            return new FlowMeter(new FlowTableOptions(), _ => { });
        }
        catch (NotImplementedException)
        {
            Assert.Skip("FlowTable is still a stub in this branch");
            throw;
        }
    }
}
