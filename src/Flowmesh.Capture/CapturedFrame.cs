using Flowmesh.Core.Packets;

namespace Flowmesh.Capture;

/// <summary>
/// One captured frame as a view into the reader's buffer: valid only until the next read call,
/// which is what lets file and live readers hand frames over without copying or allocating.
/// </summary>
public readonly ref struct CapturedFrame
{
    public CapturedFrame(LinkType linkType, long timestampMicros, int originalLength, ReadOnlySpan<byte> data)
    {
        LinkType = linkType;
        TimestampMicros = timestampMicros;
        OriginalLength = originalLength;
        Data = data;
    }

    public LinkType LinkType { get; }
    /// <summary>Microseconds since the Unix epoch.</summary>
    public long TimestampMicros { get; }
    /// <summary>Length on the wire; at least <see cref="Data"/>.Length unless the writer lied.</summary>
    public int OriginalLength { get; }
    /// <summary>The captured bytes (up to the snap length).</summary>
    public ReadOnlySpan<byte> Data { get; }
}
