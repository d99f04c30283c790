using System.Diagnostics;
using Flowmesh.Capture.Files;

namespace Flowmesh.Capture.Tests.Files;

public sealed class DamagedCaptureFileTests
{
    private static TestCaptureWriter SmallPcap() => TestCaptureWriter.Pcap(false, true, 65535, 1)
        .PcapRecord(1, 1000, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
        .PcapRecord(2, 2000, [11, 12, 13])
        .PcapRecord(3, 3000, [14, 15, 16, 17, 18, 19]);

    private static TestCaptureWriter SmallPcapNg()
    {
        var w = TestCaptureWriter.PcapNg().SectionHeader(false)
            .InterfaceDescription(1, 0)
            .EnhancedPacket(0, 1, [1, 2, 3, 4, 5])
            .UnknownBlock(4, 8)
            .SimplePacket(7, [6, 7, 8, 9, 10, 11, 12])
            .SectionHeader(true);
        w.InterfaceDescription(101, 0, (9, [9]), (14, w.Int64Option(1)));
        return w.ObsoletePacket(0, 5000, [13, 14]).EnhancedPacket(0, 6000, [15]);
    }

    public static TheoryData<string> SmallFiles => ["pcap", "pcapng"];

    [Theory]
    [MemberData(nameof(SmallFiles))]
    public void Every_truncation_point_returns_the_frames_before_it_and_says_where_it_stopped(string kind)
    {
        var writer = kind == "pcap" ? SmallPcap() : SmallPcapNg();
        byte[] whole = writer.ToArray();
        var (allFrames, _) = ReadFrame.ReadAll(whole);
        bool isPcapNg = kind == "pcapng";

        for (int cut = 0; cut <= whole.Length; cut++)
        {
            byte[] file = whole[..cut];
            if (cut < 4)
            {
                // Too short to even tell the format: that is a clear error at open, not a silent empty capture.
                var e = Assert.Throws<InvalidDataException>(() => new CaptureFileReader(new MemoryStream(file), "t"));
                Assert.Contains("not a pcap or pcapng file", e.Message);
                continue;
            }
            var (frames, stats) = ReadFrame.ReadAll(file);
            // Frames are the records that end at or before the cut (pcapng: blocks that are frames).
            int complete = writer.RecordEnds.Count(end => end <= cut);
            int expectedFrames = isPcapNg ? CountPcapNgFramesAmongFirst(complete) : Math.Max(0, complete - 1);
            Assert.Equal(allFrames.Take(expectedFrames), frames);
            bool onBoundary = writer.RecordEnds.Contains(cut);
            if (onBoundary)
            {
                Assert.Null(stats.StoppedEarly);
            }
            else
            {
                Assert.NotNull(stats.StoppedEarly);
                Assert.Contains("byte offset", stats.StoppedEarly);
                Assert.Contains("truncated", stats.StoppedEarly);
            }
            Assert.Equal(frames.Count, stats.Frames);
            Assert.True(stats.BytesConsumed <= cut);
        }
    }

    // Block order in SmallPcapNg: SHB IDB EPB NRB SPB SHB IDB OPB EPB.
    private static int CountPcapNgFramesAmongFirst(int blocks) =>
        new[] { false, false, true, false, true, false, false, true, true }.Take(blocks).Count(isFrame => isFrame);

    [Theory]
    [MemberData(nameof(SmallFiles))]
    public void Random_bytes_after_a_valid_header_never_throw_hang_or_overrun(string kind)
    {
        var random = new Random(20261123);
        byte[] header = kind == "pcap"
            ? TestCaptureWriter.Pcap(false, false, 0, 1).ToArray()
            : TestCaptureWriter.PcapNg().SectionHeader(false).InterfaceDescription(1, 0).ToArray();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 2000; i++)
        {
            var tail = new byte[random.Next(0, 3000)];
            random.NextBytes(tail);
            if (i % 3 == 0 && tail.Length >= 8)
            {
                // Plausible small lengths get deeper into the parser than uniform noise does.
                tail[4] = (byte)random.Next(12, 80);
                tail[5] = tail[6] = tail[7] = 0;
            }
            var (frames, stats) = ReadFrame.ReadAll([.. header, .. tail], seekable: i % 2 == 0);
            Assert.All(frames, f => Assert.True(f.Data.Length <= CaptureFileReader.MaxFrameLength));
            Assert.True(stats.StoppedEarly is null || stats.StoppedEarly.Contains("byte offset"), stats.StoppedEarly);
        }
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30));
    }

    [Theory]
    [InlineData(0x0A0D0D0Au)]
    [InlineData(1u)]
    [InlineData(2u)]
    [InlineData(3u)]
    [InlineData(6u)]
    public void Blocks_too_short_for_their_type_stop_cleanly(uint type)
    {
        for (uint length = 12; length < 36; length += 4)
        {
            var w = TestCaptureWriter.PcapNg().SectionHeader(false).InterfaceDescription(1, 0);
            int badAt = w.Length;
            // The body repeats the length, so whatever field the parser reads is self-consistent.
            var body = new TestCaptureWriter();
            for (uint i = 12; i < length; i += 4) body.U32(length);
            w.RawBlock(type, length, body.ToArray(), length).EnhancedPacket(0, 1, [1]);
            var (frames, stats) = ReadFrame.ReadAll(w.ToArray());
            if (stats.StoppedEarly is not null) Assert.Contains($"byte offset {badAt}", stats.StoppedEarly);
            Assert.All(frames, f => Assert.True(f.Data.Length <= length));
        }
    }

    [Theory]
    [MemberData(nameof(SmallFiles))]
    public void Mutated_valid_files_never_throw(string kind)
    {
        byte[] valid = (kind == "pcap" ? SmallPcap() : SmallPcapNg()).ToArray();
        var random = new Random(7);
        for (int i = 0; i < 20_000; i++)
        {
            byte[] file = (byte[])valid.Clone();
            int flips = random.Next(1, 5);
            for (int f = 0; f < flips; f++)
            {
                // Keep the magic so the file opens; everything after it is fair game.
                int at = random.Next(4, file.Length);
                file[at] = random.Next(3) switch { 0 => (byte)random.Next(256), 1 => 0xFF, _ => 0 };
            }
            var (frames, stats) = ReadFrame.ReadAll(file, seekable: i % 2 == 0);
            Assert.True(frames.Count <= 6);
            Assert.True(stats.BytesConsumed <= file.Length);
        }
    }

    [Fact]
    public void Absurd_captured_length_stops_after_the_good_frames()
    {
        var w = SmallPcap();
        int badAt = w.Length;
        w.PcapRecord(4, 0, [1, 2, 3], capturedLengthField: 0xFFFF_FFF0).PcapRecord(5, 0, [4]);
        var (frames, stats) = ReadFrame.ReadAll(w.ToArray());
        Assert.Equal(3, frames.Count);
        Assert.Contains($"absurd captured length {0xFFFF_FFF0} at byte offset {badAt} (frame 4)", stats.StoppedEarly);
    }

    [Fact]
    public void Captured_length_beyond_the_snap_length_stops()
    {
        var w = TestCaptureWriter.Pcap(true, false, 64, 1).PcapRecord(1, 0, new byte[64]);
        int badAt = w.Length;
        w.PcapRecord(2, 0, new byte[65]);
        var (frames, stats) = ReadFrame.ReadAll(w.ToArray());
        Assert.Single(frames);
        Assert.Contains($"captured length 65 exceeds the snap length 64 at byte offset {badAt} (frame 2)", stats.StoppedEarly);
    }

    [Fact]
    public void A_huge_truncated_record_does_not_make_the_reader_allocate_its_length()
    {
        // 200 KiB claimed, 10 bytes present: must stop without buffering far beyond the file.
        var w = TestCaptureWriter.Pcap(false, false, 0, 1).PcapRecord(1, 0, new byte[10], capturedLengthField: 200_000);
        var (frames, stats) = ReadFrame.ReadAll(w.ToArray(), seekable: false);
        Assert.Empty(frames);
        Assert.Contains("truncated record at byte offset 24 (frame 1)", stats.StoppedEarly);
    }

    public static TheoryData<string, uint, uint, string> BadBlocks => new()
    {
        { "length not a multiple of 4", 30, 30, "bad block length 30" },
        { "length below the minimum", 8, 8, "bad block length 8" },
        { "absurd length", 0xFFFF_FFF0, 0xFFFF_FFF0, "absurd block length 4294967280" },
        { "trailer disagrees", 32, 36, "says 32 bytes at its start and 36 at its end" },
        { "length beyond the input", 4096, 4096, "truncated block (type 0x00000006, 4096 bytes)" },
    };

    [Theory]
    [MemberData(nameof(BadBlocks))]
    public void Bad_block_lengths_stop_after_the_good_frames(string what, uint headerLength, uint trailerLength, string message)
    {
        _ = what;
        var w = TestCaptureWriter.PcapNg().SectionHeader(false).InterfaceDescription(1, 0).EnhancedPacket(0, 1, [1, 2, 3]);
        int badAt = w.Length;
        w.RawBlock(6, headerLength, new byte[20], trailerLength).EnhancedPacket(0, 2, [4]);
        var (frames, stats) = ReadFrame.ReadAll(w.ToArray());
        Assert.Single(frames);
        Assert.Contains(message, stats.StoppedEarly);
        Assert.Contains($"byte offset {badAt}", stats.StoppedEarly);
    }

    [Fact]
    public void Skipped_block_longer_than_the_input_stops_even_without_seeking()
    {
        var w = TestCaptureWriter.PcapNg().SectionHeader(false).InterfaceDescription(1, 0).EnhancedPacket(0, 1, [1]);
        int badAt = w.Length;
        w.RawBlock(0x0BAD, 0x7FFF_FFFC, new byte[100], 0x7FFF_FFFC);
        foreach (bool seekable in new[] { true, false })
        {
            var (frames, stats) = ReadFrame.ReadAll(w.ToArray(), seekable);
            Assert.Single(frames);
            Assert.Contains($"truncated block (type 0x00000BAD, {0x7FFF_FFFC} bytes) at byte offset {badAt} (frame 2)", stats.StoppedEarly);
        }
    }

    [Fact]
    public void Captured_length_larger_than_its_block_stops()
    {
        var w = TestCaptureWriter.PcapNg().SectionHeader(false).InterfaceDescription(1, 0);
        int badAt = w.Length;
        w.EnhancedPacket(0, 1, [1, 2, 3, 4], capturedLengthField: 100);
        var (frames, stats) = ReadFrame.ReadAll(w.ToArray());
        Assert.Empty(frames);
        Assert.Contains($"captured length 100 at byte offset {badAt} (frame 1) does not fit", stats.StoppedEarly);
    }

    [Fact]
    public void Packet_before_any_interface_stops()
    {
        var (frames, stats) = ReadFrame.ReadAll(TestCaptureWriter.PcapNg().SectionHeader(false).EnhancedPacket(0, 1, [1]).ToArray());
        Assert.Empty(frames);
        Assert.Contains("refers to interface 0, but the section describes 0", stats.StoppedEarly);
        (frames, stats) = ReadFrame.ReadAll(TestCaptureWriter.PcapNg().SectionHeader(false).SimplePacket(1, [1]).ToArray());
        Assert.Empty(frames);
        Assert.Contains("before any interface description", stats.StoppedEarly);
    }

    [Fact]
    public void Second_section_with_a_bad_byte_order_magic_stops()
    {
        var w = TestCaptureWriter.PcapNg().SectionHeader(false).InterfaceDescription(1, 0).EnhancedPacket(0, 1, [1]);
        int badAt = w.Length;
        w.RawBlock(0x0A0D0D0A, 28, [1, 2, 3, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 28);
        var (frames, stats) = ReadFrame.ReadAll(w.ToArray());
        Assert.Single(frames);
        Assert.Equal($"bad byte-order magic 0x04030201 in section header at byte offset {badAt}", stats.StoppedEarly);
    }

    [Fact]
    public void Unsupported_pcapng_version_stops()
    {
        var (frames, stats) = ReadFrame.ReadAll(TestCaptureWriter.PcapNg().SectionHeader(false, major: 2).ToArray());
        Assert.Empty(frames);
        Assert.Contains("pcapng version 2", stats.StoppedEarly);
    }

    [Theory]
    [InlineData(new byte[] { 0x1F, 0x8B, 0x08, 0x00, 0, 0 }, "first bytes 0x1F8B0800")]
    [InlineData(new byte[] { (byte)'h', (byte)'e', (byte)'l', (byte)'l', (byte)'o' }, "first bytes 0x68656C6C")]
    [InlineData(new byte[0], "it is empty")]
    [InlineData(new byte[] { 0xD4, 0xC3 }, "only 2 bytes")]
    public void Not_a_capture_file_is_a_clear_error_at_open(byte[] content, string detail)
    {
        var e = Assert.Throws<InvalidDataException>(() => new CaptureFileReader(new MemoryStream(content), "x.bin"));
        Assert.Equal($"x.bin: not a pcap or pcapng file: {detail}", e.Message);
    }

    [Fact]
    public void Open_of_a_file_names_the_path_in_the_error()
    {
        string path = Path.Combine(Path.GetTempPath(), $"fmcap-{Guid.NewGuid():N}.pcap");
        File.WriteAllBytes(path, [0, 0, 0, 0, 0]);
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => CaptureFileReader.Open(path));
            Assert.Equal($"{path}: not a pcap or pcapng file: first bytes 0x00000000", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Truncated_pcap_file_header_does_not_throw()
    {
        byte[] file = TestCaptureWriter.Pcap(false, false, 0, 1).ToArray()[..10];
        using var reader = new CaptureFileReader(new MemoryStream(file), "t");
        Assert.False(reader.TryReadNext(out _));
        Assert.Equal("truncated pcap file header at byte offset 0: 10 of 24 bytes", reader.Statistics.StoppedEarly);
    }
}
