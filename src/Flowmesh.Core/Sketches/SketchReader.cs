using System.Buffers.Binary;
using System.IO.Hashing;

namespace Flowmesh.Core.Sketches;

/// <summary>
/// Validates the common envelope (see <see cref="SketchWriter"/>) and reads the body with bounds checks that
/// throw <see cref="SketchFormatException"/> instead of running off the end. Callers validate every declared
/// size against <see cref="Remaining"/> before allocating, so hostile input cannot make us allocate more than
/// its own length justifies.
/// </summary>
internal ref struct SketchReader
{
    private readonly ReadOnlySpan<byte> _body;
    private int _position;

    public SketchReader(ReadOnlySpan<byte> data, SketchKind kind, SketchHashKey key, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (data.Length < SketchWriter.Overhead)
            throw new SketchFormatException($"{kind} sketch: {data.Length} bytes is shorter than the {SketchWriter.Overhead}-byte envelope.");
        if (data.Length > maxLength)
            throw new SketchFormatException($"{kind} sketch: {data.Length} bytes exceeds the largest valid encoding ({maxLength} bytes).");
        if (!data[..4].SequenceEqual(SketchWriter.Magic))
            throw new SketchFormatException($"{kind} sketch: bad magic, not a Flowmesh sketch.");
        if (data[4] != (byte)kind)
            throw new SketchFormatException($"Expected a {kind} sketch but the header says kind {data[4]}.");
        if (data[5] != SketchWriter.Version)
            throw new SketchFormatException($"{kind} sketch: format version {data[5]} is not supported (this build reads version {SketchWriter.Version}).");
        uint expectedCrc = BinaryPrimitives.ReadUInt32LittleEndian(data[^4..]);
        uint actualCrc = Crc32.HashToUInt32(data[..^4]);
        if (expectedCrc != actualCrc)
            throw new SketchFormatException($"{kind} sketch: CRC mismatch (stored {expectedCrc:x8}, computed {actualCrc:x8}); the bytes are corrupted.");
        ulong fingerprint = BinaryPrimitives.ReadUInt64LittleEndian(data[8..]);
        if (fingerprint != key.Fingerprint)
            throw new SketchFormatException($"{kind} sketch was hashed with another key (fingerprint {fingerprint:x16}, expected {key.Fingerprint:x16}).");
        Flags = BinaryPrimitives.ReadUInt16LittleEndian(data[6..]);
        Kind = kind;
        _body = data[SketchWriter.HeaderSize..^SketchWriter.TrailerSize];
        _position = 0;
    }

    public ushort Flags { get; }
    public SketchKind Kind { get; }
    public readonly int Remaining => _body.Length - _position;

    public byte ReadByte() => Take(1)[0];
    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));
    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));
    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));
    public ReadOnlySpan<byte> ReadBytes(int count) => Take(count);

    public readonly SketchFormatException Invalid(string what) => new($"{Kind} sketch: {what}.");

    /// <summary>Fails unless exactly <paramref name="bytes"/> remain (a declared size that does not match the input).</summary>
    public readonly void ExpectRemaining(long bytes, string what)
    {
        if (bytes != Remaining)
            throw Invalid($"{what} needs {bytes} more bytes but {Remaining} remain");
    }

    public readonly void ExpectEnd()
    {
        if (Remaining != 0)
            throw Invalid($"{Remaining} unexpected trailing bytes");
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > Remaining)
            throw Invalid($"truncated body (wanted {count} bytes, {Remaining} remain)");
        ReadOnlySpan<byte> slice = _body.Slice(_position, count);
        _position += count;
        return slice;
    }
}
