using System.Buffers.Binary;
using System.IO.Compression;

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

    /// <summary>Bytes already read, by absolute position (to keep a section verbatim).</summary>
    public readonly ReadOnlySpan<byte> Slice(int start, int length) => _data.Slice(start, length);

    /// <summary>
    /// A section written by <see cref="EpochRecordWriter.WriteSection"/>. Declared lengths are checked before
    /// anything is allocated: a raw section against the remaining input, an inflated one against
    /// <paramref name="inflateBudget"/> (shared by all sections of a record, so a small input cannot expand into
    /// more than one record's worth of memory), and inflation must yield exactly the declared length.
    /// </summary>
    public ReadOnlySpan<byte> ReadSection(string name, ref int inflateBudget)
    {
        byte encoding = ReadByte();
        uint length = ReadUInt32();
        if (encoding == 0)
        {
            if (length > Remaining)
                throw Invalid($"section {name} declares {length} bytes but only {Remaining} remain");
            return Take((int)length);
        }
        if (encoding != 1)
            throw Invalid($"section {name} has unknown encoding {encoding}");
        uint stored = ReadUInt32();
        if (stored > Remaining)
            throw Invalid($"section {name} declares {stored} compressed bytes but only {Remaining} remain");
        if (length > inflateBudget)
            throw Invalid($"section {name} declares {length} bytes after inflation, more than a record can hold");
        inflateBudget -= (int)length;
        ReadOnlySpan<byte> compressed = Take((int)stored);
        byte[] raw = new byte[length];
        try
        {
            using var input = new MemoryStream(compressed.ToArray());
            using var inflate = new DeflateStream(input, CompressionMode.Decompress);
            if (inflate.ReadAtLeast(raw, raw.Length, throwOnEndOfStream: false) != raw.Length)
                throw Invalid($"section {name} inflates to fewer bytes than the declared {length}");
            if (inflate.ReadByte() >= 0)
                throw Invalid($"section {name} inflates to more bytes than the declared {length}");
        }
        catch (InvalidDataException e)
        {
            throw Invalid($"section {name} is not a valid DEFLATE stream ({e.Message.TrimEnd('.')})");
        }
        return raw;
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
