using Flowmesh.Capture.Files;
using Flowmesh.Core.Packets;

namespace Flowmesh.Capture.Tests.Files;

public sealed class PcapNgFormatTests
{
    private static readonly byte[] Eth = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77];
    private static readonly byte[] Ip = [0x45, 0, 0, 20, 9, 9, 9, 9];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Two_interfaces_with_different_link_types_and_resolutions(bool bigEndian)
    {
        var w = TestCaptureWriter.PcapNg().SectionHeader(bigEndian);
        // Interface 0: Ethernet, default resolution (microseconds), snap length 1000.
        w.InterfaceDescription(1, 1000);
        // Interface 1: raw IP, nanoseconds (tsresol 9), and a 100 s offset.
        w.InterfaceDescription(101, 0, (9, [9]), (14, w.Int64Option(100)));
        // Interface 2: DLT_RAW alias 14, tsresol 2^-10 (0x8A): 1024 units per second.
        w.InterfaceDescription(14, 0, (9, [0x8A]));
        // Interface 3: Linux cooked, tsresol 10^-3 (milliseconds).
        w.InterfaceDescription(113, 0, (2, "eth0"u8.ToArray()), (9, [3]));
        w.EnhancedPacket(0, 1_600_000_000_123_456, Eth, originalLength: 1500);
        w.EnhancedPacket(1, 1_600_000_000_987_654_321, Ip);
        w.EnhancedPacket(2, 1_600_000_000UL * 1024 + 1023, Ip);
        w.EnhancedPacket(3, 1_600_000_000_250, Eth);

        var (frames, stats) = ReadFrame.ReadAll(w.ToArray());

        Assert.Equal(4, frames.Count);
        Assert.Equal(LinkType.Ethernet, frames[0].LinkType);
        Assert.Equal(1_600_000_000_123_456L, frames[0].TimestampMicros);
        Assert.Equal(1500, frames[0].OriginalLength);
        Assert.Equal(Eth, frames[0].Data);
        Assert.Equal(LinkType.Raw, frames[1].LinkType);
        Assert.Equal(1_600_000_100_987_654L, frames[1].TimestampMicros);   // +100 s offset, ns truncated
        Assert.Equal(Ip, frames[1].Data);
        Assert.Equal(LinkType.Raw, frames[2].LinkType);
        Assert.Equal(1_600_000_000_999_023L, frames[2].TimestampMicros);  // 1023/1024 s = 999023.4375 us
        Assert.Equal(LinkType.LinuxSll, frames[3].LinkType);
        Assert.Equal(1_600_000_000_250_000L, frames[3].TimestampMicros);
        Assert.Equal(4, stats.Frames);
        Assert.Equal(2 * 7 + 2 * 8, stats.CapturedBytes);
        Assert.Equal(w.Length, stats.BytesConsumed);
        Assert.Null(stats.StoppedEarly);
    }

    /// <summary>
    /// Times that overflow a 64-bit microsecond clock (or leave no room for the epoch that holds them) are damage:
    /// they wrapped silently and later ended `flowmesh summarize` with an unhandled exception in epoch alignment
    /// (issue 11's audit). Far-future times that fit are kept: tshark reads them too.
    /// </summary>
    [Theory]
    [InlineData(ulong.MaxValue, 0L)]                           // microsecond units near 2^64: beyond a long
    [InlineData((ulong)long.MaxValue - 1000, 0L)]              // fits a long, but no epoch after it does
    [InlineData(1_600_000_000_000_000UL, 9_300_000_000_000L)]  // a 9.3e12 s interface offset: beyond a long in µs
    public void Timestamps_beyond_a_64_bit_microsecond_clock_stop_the_file_with_a_reason(ulong units, long offsetSeconds)
    {
        var w = TestCaptureWriter.PcapNg().SectionHeader(false);
        if (offsetSeconds != 0) w.InterfaceDescription(1, 0, (14, w.Int64Option(offsetSeconds)));
        else w.InterfaceDescription(1, 0);
        w.EnhancedPacket(0, 1_600_000_000_000_000, Eth);
        w.EnhancedPacket(0, units, Eth);

        var (frames, stats) = ReadFrame.ReadAll(w.ToArray());

        Assert.NotNull(stats.StoppedEarly);
        if (offsetSeconds != 0)
        {
            Assert.Empty(frames);
            Assert.Contains("timestamp offset", stats.StoppedEarly);
        }
        else
        {
            Assert.Single(frames);
            Assert.Contains("timestamp of frame 2", stats.StoppedEarly);
            Assert.Contains("64-bit microsecond clock", stats.StoppedEarly);
        }
    }

    [Fact]
    public void Simple_packet_uses_the_first_interface_and_cuts_to_its_snap_length()
    {
        var w = TestCaptureWriter.PcapNg().SectionHeader(false)
            .InterfaceDescription(1, 4)
            .InterfaceDescription(101, 0)
            .EnhancedPacket(0, 5_000_000, [1, 2, 3])
            .SimplePacket(originalLength: 60, data: [9, 8, 7, 6])   // snap length 4: 4 of 60 bytes kept
            .SimplePacket(originalLength: 3, data: [5, 4, 3]);      // 3 bytes + 1 byte padding: 3 kept
        var (frames, stats) = ReadFrame.ReadAll(w.ToArray());

        Assert.Equal(3, frames.Count);
        Assert.Equal(LinkType.Ethernet, frames[1].LinkType);
        Assert.Equal(new byte[] { 9, 8, 7, 6 }, frames[1].Data);
        Assert.Equal(60, frames[1].OriginalLength);
        Assert.Equal(new byte[] { 5, 4, 3 }, frames[2].Data);
        // No time in a simple packet block: the previous frame's time carries over.
        Assert.Equal(5_000_000L, frames[1].TimestampMicros);
        Assert.Null(stats.StoppedEarly);
    }

    [Fact]
    public void Obsolete_packet_block_is_read()
    {
        var w = TestCaptureWriter.PcapNg().SectionHeader(true)
            .InterfaceDescription(1, 0)
            .InterfaceDescription(228, 0, (9, [9]))
            .ObsoletePacket(1, 42_000_000_001, Ip, originalLength: 99);
        var (frames, _) = ReadFrame.ReadAll(w.ToArray());
        var f = Assert.Single(frames);
        Assert.Equal(LinkType.Ipv4, f.LinkType);
        Assert.Equal(42_000_000L, f.TimestampMicros);
        Assert.Equal(99, f.OriginalLength);
        Assert.Equal(Ip, f.Data);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Unknown_and_uninteresting_blocks_are_skipped_by_their_length(bool seekable)
    {
        var w = TestCaptureWriter.PcapNg().SectionHeader(false)
            .UnknownBlock(0x00000BAD, 20)
            .InterfaceDescription(1, 0)
            .UnknownBlock(4, 16)              // name resolution block
            .EnhancedPacket(0, 1, Eth)
            .UnknownBlock(5, 24)              // interface statistics block
            .UnknownBlock(0x0000000A, 700_000)   // decryption secrets: larger than the whole read buffer
            .EnhancedPacket(0, 2, Ip)
            .UnknownBlock(0x40000BAD, 0);     // custom block, body empty
        var (frames, stats) = ReadFrame.ReadAll(w.ToArray(), seekable);
        Assert.Equal([Eth, Ip], frames.Select(f => f.Data));
        Assert.Equal(w.Length, stats.BytesConsumed);
        Assert.Null(stats.StoppedEarly);
    }

    [Fact]
    public void Sections_of_different_byte_order_each_have_their_own_interfaces()
    {
        var w = TestCaptureWriter.PcapNg()
            .SectionHeader(false)
            .InterfaceDescription(1, 0)
            .EnhancedPacket(0, 10, Eth)
            .SectionHeader(true)
            .InterfaceDescription(101, 0, (9, [9]))
            .EnhancedPacket(0, 20_000, Ip)
            .SectionHeader(false)
            .InterfaceDescription(113, 0)
            .EnhancedPacket(0, 30, Eth);
        var (frames, stats) = ReadFrame.ReadAll(w.ToArray());
        Assert.Equal([LinkType.Ethernet, LinkType.Raw, LinkType.LinuxSll], frames.Select(f => f.LinkType));
        Assert.Equal([10L, 20L, 30L], frames.Select(f => f.TimestampMicros));
        Assert.Null(stats.StoppedEarly);
    }

    [Fact]
    public void Interfaces_of_an_earlier_section_are_forgotten()
    {
        var w = TestCaptureWriter.PcapNg()
            .SectionHeader(false).InterfaceDescription(1, 0).InterfaceDescription(1, 0)
            .SectionHeader(false).InterfaceDescription(1, 0)
            .EnhancedPacket(1, 10, Eth);
        var (frames, stats) = ReadFrame.ReadAll(w.ToArray());
        Assert.Empty(frames);
        Assert.Contains("refers to interface 1", stats.StoppedEarly);
    }

    [Fact]
    public void Format_is_reported()
    {
        using var reader = new CaptureFileReader(new MemoryStream(TestCaptureWriter.PcapNg().SectionHeader(true).ToArray()), "t");
        Assert.Equal(CaptureFileFormat.PcapNg, reader.Format);
        Assert.False(reader.TryReadNext(out _));
        Assert.Null(reader.Statistics.StoppedEarly);
    }
}
