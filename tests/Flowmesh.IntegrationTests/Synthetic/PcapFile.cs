using System.Buffers.Binary;

namespace Flowmesh.IntegrationTests.Synthetic;

/// <summary>Writes a classic pcap file (microsecond timestamps, little-endian) from hand-built frames.</summary>
public sealed class PcapFile
{
    private readonly List<(long Micros, byte[] Frame, int CapturedLength)> _records = [];

    public PcapFile(uint linkType = 1)
    {
        LinkType = linkType;
    }

    public uint LinkType { get; }

    /// <param name="capturedLength">Fewer bytes than the frame to imitate a snap length; the record keeps the full original length.</param>
    public PcapFile Add(byte[] frame, long micros = 1_700_000_000_000_000, int? capturedLength = null)
    {
        _records.Add((micros, frame, capturedLength ?? frame.Length));
        return this;
    }

    public byte[] ToBytes()
    {
        using var stream = new MemoryStream();
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xA1B2C3D4);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], 262144);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], LinkType);
        stream.Write(header);
        Span<byte> record = stackalloc byte[16];
        foreach (var (micros, frame, captured) in _records)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)(micros / 1_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(record[4..], (uint)(micros % 1_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(record[8..], (uint)captured);
            BinaryPrimitives.WriteUInt32LittleEndian(record[12..], (uint)frame.Length);
            stream.Write(record);
            stream.Write(frame, 0, captured);
        }
        return stream.ToArray();
    }

    public void Save(string path) => File.WriteAllBytes(path, ToBytes());
}
