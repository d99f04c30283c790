using System.Buffers;
using System.Buffers.Binary;

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

    /// <summary>A section: u32 length, then the bytes.</summary>
    public void WriteSection(ReadOnlySpan<byte> bytes)
    {
        WriteUInt32((uint)bytes.Length);
        WriteBytes(bytes);
    }

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();
}
