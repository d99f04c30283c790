using System.Buffers.Binary;
using System.IO.Hashing;

namespace Flowmesh.Core.Sketches;

/// <summary>
/// Writes the common envelope every serialized sketch shares (all integers little-endian):
/// <code>
/// offset size field
///      0    4 magic "FMSK" (46 4D 53 4B)
///      4    1 kind (SketchKind)
///      5    1 format version (1)
///      6    2 flags (kind-specific; unknown bits are rejected)
///      8    8 fingerprint of the SketchHashKey the sketch was built with
///     16    n body (kind-specific)
///   16+n    4 CRC-32 (IEEE 802.3) of bytes [0, 16+n)
/// </code>
/// The CRC catches accidental corruption (every 1-3 bit flip at these sizes); forgery is the envelope
/// signature's business, not the sketch's.
/// </summary>
internal ref struct SketchWriter
{
    public const int HeaderSize = 16;
    public const int TrailerSize = 4;
    public const int Overhead = HeaderSize + TrailerSize;
    public const byte Version = 1;
    public static ReadOnlySpan<byte> Magic => "FMSK"u8;

    private readonly Span<byte> _destination;
    private int _position;

    public SketchWriter(Span<byte> destination, SketchKind kind, ushort flags, ulong keyFingerprint)
    {
        _destination = destination;
        Magic.CopyTo(destination);
        destination[4] = (byte)kind;
        destination[5] = Version;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], flags);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], keyFingerprint);
        _position = HeaderSize;
    }

    public void WriteByte(byte value) => _destination[_position++] = value;

    public void WriteUInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_destination[_position..], value);
        _position += 2;
    }

    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_destination[_position..], value);
        _position += 4;
    }

    public void WriteUInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_destination[_position..], value);
        _position += 8;
    }

    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_destination[_position..]);
        _position += bytes.Length;
    }

    /// <summary>Appends the CRC and returns the total length written.</summary>
    public int Finish()
    {
        uint crc = Crc32.HashToUInt32(_destination[.._position]);
        BinaryPrimitives.WriteUInt32LittleEndian(_destination[_position..], crc);
        return _position + TrailerSize;
    }
}
