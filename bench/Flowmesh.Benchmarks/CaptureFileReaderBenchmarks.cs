using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using Flowmesh.Capture.Files;

namespace Flowmesh.Benchmarks;

/// <summary>
/// Frames per second out of <see cref="CaptureFileReader"/> for a 1 M-frame pcap of small frames
/// (the shape of ../shared/reference/capture-from-dotnet.md 2.2), from the page cache.
/// Allocated bytes per run should stay at the reader's buffer: nothing per frame.
/// </summary>
[MemoryDiagnoser]
public class CaptureFileReaderBenchmarks
{
    private const int Frames = 1_000_000;
    private string _path = "";

    [Params(64, 1514)]
    public int FrameLength { get; set; }

    [GlobalSetup]
    public void WriteFile()
    {
        _path = Path.Combine(Path.GetTempPath(), $"fmcap-bench-{FrameLength}.pcap");
        using var file = new FileStream(_path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xA1B2C3D4);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], 65535);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], 1);
        file.Write(header);
        var record = new byte[16 + FrameLength];
        for (int i = 0; i < Frames; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(record, 1_700_000_000 + (uint)(i / 1000));
            BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(4), (uint)(i % 1000) * 1000);
            BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(8), (uint)FrameLength);
            BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(12), (uint)FrameLength);
            file.Write(record);
        }
    }

    [GlobalCleanup]
    public void DeleteFile() => File.Delete(_path);

    [Benchmark]
    public long ReadAllFrames()
    {
        using var reader = CaptureFileReader.Open(_path);
        long bytes = 0;
        while (reader.TryReadNext(out var frame)) bytes += frame.Data.Length;
        return bytes;
    }
}
