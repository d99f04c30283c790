using System.Buffers.Binary;

namespace Flowmesh.IntegrationTests.Synthetic;

/// <summary>
/// Writes a classic pcap file from hand-built frames, in either byte order and with microsecond or
/// nanosecond timestamps (the four magic numbers a reader must accept).
/// </summary>
public sealed class PcapFile
{
    private readonly List<(long Nanos, byte[] Frame, int CapturedLength)> _records = [];

    public PcapFile(uint linkType = 1)
    {
        LinkType = linkType;
    }

    public uint LinkType { get; }

    /// <param name="capturedLength">Fewer bytes than the frame to imitate a snap length; the record keeps the full original length.</param>
    public PcapFile Add(byte[] frame, long micros = 1_700_000_000_000_000, int? capturedLength = null) =>
        AddNanos(frame, micros * 1000, capturedLength);

    public PcapFile AddNanos(byte[] frame, long nanos, int? capturedLength = null)
    {
        _records.Add((nanos, frame, capturedLength ?? frame.Length));
        return this;
    }

    public byte[] ToBytes(bool nanosecond = false, bool bigEndian = false)
    {
        using var stream = new MemoryStream();
        Span<byte> header = stackalloc byte[24];
        WriteU32(header, nanosecond ? 0xA1B23C4D : 0xA1B2C3D4, bigEndian);
        WriteU16(header[4..], 2, bigEndian);
        WriteU16(header[6..], 4, bigEndian);
        WriteU32(header[16..], 262144, bigEndian);
        WriteU32(header[20..], LinkType, bigEndian);
        stream.Write(header);
        Span<byte> record = stackalloc byte[16];
        foreach (var (nanos, frame, captured) in _records)
        {
            long fraction = nanos % 1_000_000_000;
            WriteU32(record, (uint)(nanos / 1_000_000_000), bigEndian);
            WriteU32(record[4..], (uint)(nanosecond ? fraction : fraction / 1000), bigEndian);
            WriteU32(record[8..], (uint)captured, bigEndian);
            WriteU32(record[12..], (uint)frame.Length, bigEndian);
            stream.Write(record);
            stream.Write(frame, 0, captured);
        }
        return stream.ToArray();
    }

    public void Save(string path, bool nanosecond = false, bool bigEndian = false) => File.WriteAllBytes(path, ToBytes(nanosecond, bigEndian));

    private static void WriteU32(Span<byte> to, uint value, bool bigEndian)
    {
        if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(to, value);
        else BinaryPrimitives.WriteUInt32LittleEndian(to, value);
    }

    private static void WriteU16(Span<byte> to, ushort value, bool bigEndian)
    {
        if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(to, value);
        else BinaryPrimitives.WriteUInt16LittleEndian(to, value);
    }
}
