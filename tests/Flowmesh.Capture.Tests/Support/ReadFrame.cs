using Flowmesh.Capture.Files;
using Flowmesh.Core.Packets;

namespace Flowmesh.Capture.Tests;

/// <summary>A copied frame, so tests can keep what the reader only lends.</summary>
internal sealed record ReadFrame(LinkType LinkType, long TimestampMicros, int OriginalLength, byte[] Data)
{
    public bool Equals(ReadFrame? other) => other is not null && LinkType == other.LinkType &&
        TimestampMicros == other.TimestampMicros && OriginalLength == other.OriginalLength && Data.AsSpan().SequenceEqual(other.Data);

    public override int GetHashCode() => HashCode.Combine(LinkType, TimestampMicros, OriginalLength, Data.Length);

    public static (List<ReadFrame> Frames, CaptureStatistics Statistics) ReadAll(byte[] file, bool seekable = true)
    {
        Stream stream = seekable ? new MemoryStream(file) : new NonSeekableStream(new MemoryStream(file));
        using var reader = new CaptureFileReader(stream, "test");
        return ReadAll(reader);
    }

    public static (List<ReadFrame> Frames, CaptureStatistics Statistics) ReadAll(CaptureFileReader reader)
    {
        var frames = new List<ReadFrame>();
        while (reader.TryReadNext(out var f))
        {
            frames.Add(new ReadFrame(f.LinkType, f.TimestampMicros, f.OriginalLength, f.Data.ToArray()));
        }
        // Reading past the end stays at the end.
        Assert.False(reader.TryReadNext(out _));
        return (frames, reader.Statistics);
    }
}

/// <summary>Like a pipe or standard input: no Length, no Seek.</summary>
internal sealed class NonSeekableStream(Stream inner) : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    // Hand out at most 1000 bytes per call, as a pipe would, so reassembly across reads is exercised.
    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, 1000));
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
