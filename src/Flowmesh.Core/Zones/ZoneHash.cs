namespace Flowmesh.Core.Zones;

/// <summary>A SHA-256 value (a record's content hash, a manifest's hash), compared by value.</summary>
public readonly struct ZoneHash : IEquatable<ZoneHash>, IComparable<ZoneHash>
{
    public const int Length = 32;

    private static readonly byte[] Zero = new byte[Length];
    private readonly byte[]? _bytes;

    public ZoneHash(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length) throw new ArgumentException($"A hash is {Length} bytes, got {bytes.Length}.", nameof(bytes));
        _bytes = bytes.ToArray();
    }

    /// <summary>From the 64 hex digits <see cref="Epochs.EpochRecord.ContentHash"/> writes.</summary>
    public static ZoneHash FromHex(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        if (hex.Length != 2 * Length) throw new FormatException($"A hash is {2 * Length} hex digits, got {hex.Length}.");
        return new ZoneHash(Convert.FromHexString(hex));
    }

    /// <summary>The 32 bytes (all zero for <c>default</c>).</summary>
    public ReadOnlySpan<byte> Span => _bytes ?? Zero;

    public bool Equals(ZoneHash other) => Span.SequenceEqual(other.Span);
    public override bool Equals(object? obj) => obj is ZoneHash other && Equals(other);
    public override int GetHashCode() => BitConverter.ToInt32(Span);
    public int CompareTo(ZoneHash other) => Span.SequenceCompareTo(other.Span);
    public static bool operator ==(ZoneHash a, ZoneHash b) => a.Equals(b);
    public static bool operator !=(ZoneHash a, ZoneHash b) => !a.Equals(b);
    public override string ToString() => Convert.ToHexStringLower(Span);
}
