using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;

namespace Flowmesh.Core.Epochs;

/// <summary>Appends little-endian fields to a growing buffer (encoding happens once per epoch, so simplicity wins over speed).</summary>
internal sealed class EpochRecordWriter
{
    private readonly ArrayBufferWriter<byte> _buffer;

    public EpochRecordWriter(int initialCapacity) => _buffer = new ArrayBufferWriter<byte>(initialCapacity);

    public int Length => _buffer.WrittenCount;
    public ReadOnlySpan<byte> Written => _buffer.WrittenSpan;

    public void WriteByte(byte value) => _buffer.Write([value]);

    public void WriteUInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.GetSpan(2), value);
        _buffer.Advance(2);
    }

    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
    }

    public void WriteUInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
    }

    public void WriteBytes(ReadOnlySpan<byte> bytes) => _buffer.Write(bytes);

    /// <summary>
    /// A section: u8 encoding, u32 length of the sketch bytes, then either the bytes (encoding 0) or u32 stored
    /// length and their raw DEFLATE stream (encoding 1), whichever is smaller. Spread sketches and lightly used
    /// summaries are mostly zeros and shrink several-fold; dense HyperLogLog registers do not and stay raw.
    /// </summary>
    public void WriteSection(ReadOnlySpan<byte> bytes)
    {
        using var compressed = new MemoryStream();
        using (var deflate = new DeflateStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            deflate.Write(bytes);
        if (compressed.Length + 4 < bytes.Length)
        {
            WriteByte(1);
            WriteUInt32((uint)bytes.Length);
            WriteUInt32((uint)compressed.Length);
            WriteBytes(compressed.GetBuffer().AsSpan(0, (int)compressed.Length));
        }
        else
        {
            WriteByte(0);
            WriteUInt32((uint)bytes.Length);
            WriteBytes(bytes);
        }
    }

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();
}
