using Flowmesh.Capture.Files;
using Flowmesh.Core.Packets;

namespace Flowmesh.Capture.Tests.Files;

public sealed class PcapFormatTests
{
    private static readonly byte[] FrameA = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
    private static readonly byte[] FrameB = [0xAA, 0xBB, 0xCC];

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Reads_both_byte_orders_and_both_resolutions(bool bigEndian, bool nanoseconds)
    {
        var w = TestCaptureWriter.Pcap(bigEndian, nanoseconds, snapLength: 65535, linkType: 1)
            .PcapRecord(1_700_000_000, nanoseconds ? 123_456_789u : 123_456u, FrameA, originalLength: 1514)
            .PcapRecord(1_700_000_001, nanoseconds ? 999u : 1u, FrameB);
        byte[] file = w.ToArray();

        var (frames, stats) = ReadFrame.ReadAll(file);

        Assert.Equal(2, frames.Count);
        Assert.Equal(LinkType.Ethernet, frames[0].LinkType);
        Assert.Equal(1_700_000_000_123_456L, frames[0].TimestampMicros);   // ns: 123456789 ns truncates to 123456 us
        Assert.Equal(1514, frames[0].OriginalLength);
        Assert.Equal(FrameA, frames[0].Data);
        Assert.Equal(nanoseconds ? 1_700_000_001_000_000L : 1_700_000_001_000_001L, frames[1].TimestampMicros);
        Assert.Equal(FrameB, frames[1].Data);
        Assert.Equal(3, frames[1].OriginalLength);
        Assert.Equal(2, stats.Frames);
        Assert.Equal(18, stats.CapturedBytes);
        Assert.Equal(24 + 16 + 15 + 16 + 3, stats.BytesTotal);
        Assert.Equal(stats.BytesTotal, stats.BytesConsumed);
        Assert.Null(stats.StoppedEarly);
        Assert.Null(stats.KernelDrops);
    }

    [Fact]
    public void Header_link_type_is_normalized_and_fcs_bits_ignored()
    {
        // 12 is DLT_RAW's OpenBSD value; bit 28 set says "FCS present" and is not part of the type.
        byte[] file = TestCaptureWriter.Pcap(false, false, 65535, 12 | 0x1000_0000).PcapRecord(1, 0, FrameB).ToArray();
        using var reader = new CaptureFileReader(new MemoryStream(file), "t");
        Assert.Equal(LinkType.Raw, reader.PcapLinkType);
        Assert.True(reader.TryReadNext(out var frame));
        Assert.Equal(LinkType.Raw, frame.LinkType);
        Assert.Equal(CaptureFileFormat.Pcap, reader.Format);
    }

    [Fact]
    public void Reads_kuznetzov_modified_pcap_with_longer_record_headers()
    {
        byte[] file = TestCaptureWriter.Pcap(false, false, 65535, 1, modified: true)
            .PcapRecord(5, 6, FrameA, modified: true).PcapRecord(7, 8, FrameB, modified: true).ToArray();
        var (frames, stats) = ReadFrame.ReadAll(file);
        Assert.Equal([FrameA, FrameB], frames.Select(f => f.Data));
        Assert.Equal(7_000_008L, frames[1].TimestampMicros);
        Assert.Null(stats.StoppedEarly);
    }

    [Fact]
    public void Reads_from_a_stream_that_cannot_seek_and_hands_out_small_pieces()
    {
        var w = TestCaptureWriter.Pcap(false, false, 65535, 1);
        var expected = new List<byte[]>();
        for (int i = 0; i < 300; i++)
        {
            var data = new byte[i * 7 % 1600 + 1];
            data[0] = (byte)i;
            expected.Add(data);
            w.PcapRecord((uint)i, 0, data);
        }
        var (frames, stats) = ReadFrame.ReadAll(w.ToArray(), seekable: false);
        Assert.Equal(expected, frames.Select(f => f.Data));
        Assert.Null(stats.BytesTotal);
        Assert.Equal(w.Length, stats.BytesConsumed);
    }

    [Fact]
    public void Zero_length_frames_are_frames()
    {
        var (frames, stats) = ReadFrame.ReadAll(TestCaptureWriter.Pcap(false, false, 65535, 1)
            .PcapRecord(1, 0, [], originalLength: 60).PcapRecord(2, 0, FrameB).ToArray());
        Assert.Equal(2, frames.Count);
        Assert.Empty(frames[0].Data);
        Assert.Equal(60, frames[0].OriginalLength);
        Assert.Null(stats.StoppedEarly);
    }
}
