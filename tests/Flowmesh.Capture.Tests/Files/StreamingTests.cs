using System.Buffers.Binary;
using Flowmesh.Capture.Files;

namespace Flowmesh.Capture.Tests.Files;

[Collection(RunsAloneCollection.Name)]
public sealed class StreamingTests
{
    private const int FrameCount = 2_000_000;
    private const int FrameLength = 60;

    [Fact]
    public void A_large_file_streams_without_allocating_per_frame_or_holding_the_file()
    {
        string path = Path.Combine(Path.GetTempPath(), $"fmcap-stream-{Guid.NewGuid():N}.pcap");
        try
        {
            long fileLength = WriteLargePcap(path);
            long frames = 0, bytes = 0, timeSum = 0;
            long workingSetBefore = Environment.WorkingSet;
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            using (var reader = CaptureFileReader.Open(path))
            {
                long allocatedAfterOpen = GC.GetAllocatedBytesForCurrentThread();
                while (reader.TryReadNext(out var frame))
                {
                    frames++;
                    bytes += frame.Data.Length;
                    timeSum += frame.TimestampMicros - 1_700_000_000_000_000;
                    if (frame.Data.Length == FrameLength && BinaryPrimitives.ReadInt32LittleEndian(frame.Data) != frames - 1)
                    {
                        Assert.Fail($"frame {frames} carries the wrong payload");
                    }
                }
                long allocatedReading = GC.GetAllocatedBytesForCurrentThread() - allocatedAfterOpen;
                // The only allocation while reading is the buffer growing once for the 256 KiB frame.
                Assert.True(allocatedReading < 600_000, $"{allocatedReading} bytes allocated reading {frames} frames");
                var stats = reader.Statistics;
                Assert.Null(stats.StoppedEarly);
                Assert.Equal(fileLength, stats.BytesConsumed);
                Assert.Equal(fileLength, stats.BytesTotal);
            }
            long allocatedTotal = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            long workingSetGrowth = Environment.WorkingSet - workingSetBefore;

            Assert.Equal(FrameCount + 1, frames);
            Assert.Equal((long)FrameCount * FrameLength + CaptureFileReader.MaxFrameLength, bytes);
            // Frame i is at i microseconds past the base time: sum 0..n-1, plus the big frame at n.
            Assert.Equal((long)FrameCount * (FrameCount - 1) / 2 + FrameCount, timeSum);
            Assert.True(allocatedTotal < 1_000_000, $"{allocatedTotal} bytes allocated for a {fileLength}-byte file");
            Assert.True(workingSetGrowth < fileLength / 4, $"working set grew {workingSetGrowth} bytes for a {fileLength}-byte file");
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static long WriteLargePcap(string path)
    {
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
        file.Write(TestCaptureWriter.Pcap(false, false, 0, 1).ToArray());
        Span<byte> record = stackalloc byte[16 + FrameLength];
        record.Clear();
        for (int i = 0; i < FrameCount; i++)
        {
            long micros = 1_700_000_000_000_000 + i;
            BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)(micros / 1_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(record[4..], (uint)(micros % 1_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(record[8..], FrameLength);
            BinaryPrimitives.WriteUInt32LittleEndian(record[12..], FrameLength);
            BinaryPrimitives.WriteInt32LittleEndian(record[16..], i);
            file.Write(record);
        }
        // One maximal frame at the end: the buffer must grow for it, once, and no further.
        long last = 1_700_000_000_000_000 + FrameCount;
        BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)(last / 1_000_000));
        BinaryPrimitives.WriteUInt32LittleEndian(record[4..], (uint)(last % 1_000_000));
        BinaryPrimitives.WriteUInt32LittleEndian(record[8..], CaptureFileReader.MaxFrameLength);
        BinaryPrimitives.WriteUInt32LittleEndian(record[12..], CaptureFileReader.MaxFrameLength);
        file.Write(record[..16]);
        file.Write(new byte[CaptureFileReader.MaxFrameLength]);
        return file.Length;
    }
}
