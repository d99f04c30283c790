using System.Buffers.Binary;

namespace Flowmesh.Core.Epochs;

/// <summary>Bounds-checked little-endian reads that throw <see cref="EpochRecordFormatException"/> instead of running off the end.</summary>
internal ref struct EpochRecordReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public EpochRecordReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    public readonly int Remaining => _data.Length - _position;
    public readonly int Position => _position;

    public byte ReadByte() => Take(1)[0];
    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));
    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));
    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));
    public long ReadInt64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));
    public ReadOnlySpan<byte> ReadBytes(int count) => Take(count);

    /// <summary>A section written by <see cref="EpochRecordWriter.WriteSection"/>; its declared length is checked against the input first.</summary>
    public ReadOnlySpan<byte> ReadSection(string name)
    {
        uint length = ReadUInt32();
        if (length > Remaining)
            throw Invalid($"section {name} declares {length} bytes but only {Remaining} remain");
        return Take((int)length);
    }

    /// <summary>Fails unless at least <paramref name="bytes"/> remain, before anything that size is allocated.</summary>
    public readonly void Require(long bytes, string what)
    {
        if (bytes > Remaining)
            throw Invalid($"{what} need {bytes} bytes but only {Remaining} remain");
    }

    public readonly EpochRecordFormatException Invalid(string what) => new($"Epoch record: {what}.");

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > Remaining)
            throw Invalid($"truncated (wanted {count} bytes at offset {_position}, {Remaining} remain)");
        ReadOnlySpan<byte> slice = _data.Slice(_position, count);
        _position += count;
        return slice;
    }
}
