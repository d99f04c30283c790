using System.Buffers.Binary;
using System.Net;

namespace Flowmesh.Core.Packets;

/// <summary>
/// An IPv4 or IPv6 address held in 16 bytes without allocation. IPv4 is stored IPv4-mapped
/// (::ffff:a.b.c.d, RFC 4291 2.5.5.2) so both families share one key layout and one ordering.
/// <see cref="High"/> and <see cref="Low"/> are the address in network byte order read as two
/// big-endian integers, so integer comparison is address comparison.
/// </summary>
public readonly struct IpAddress128 : IEquatable<IpAddress128>, IComparable<IpAddress128>
{
    private const ulong V4MappedHigh = 0;
    private const ulong V4MappedLowPrefix = 0x0000_FFFF_0000_0000UL;

    public ulong High { get; }
    public ulong Low { get; }

    public IpAddress128(ulong high, ulong low)
    {
        High = high;
        Low = low;
    }

    public bool IsIPv4 => High == V4MappedHigh && (Low & 0xFFFF_FFFF_0000_0000UL) == V4MappedLowPrefix;

    /// <summary>The IPv4 address as a big-endian integer; only meaningful when <see cref="IsIPv4"/>.</summary>
    public uint V4 => (uint)Low;

    public static IpAddress128 FromIPv4(uint bigEndianValue) => new(V4MappedHigh, V4MappedLowPrefix | bigEndianValue);

    /// <summary>Reads 4 bytes (IPv4) or 16 bytes (IPv6) in network order.</summary>
    public static IpAddress128 FromIPv4(ReadOnlySpan<byte> fourBytes) => FromIPv4(BinaryPrimitives.ReadUInt32BigEndian(fourBytes));

    public static IpAddress128 FromIPv6(ReadOnlySpan<byte> sixteenBytes) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(sixteenBytes), BinaryPrimitives.ReadUInt64BigEndian(sixteenBytes[8..]));

    public static IpAddress128 From(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            address.TryWriteBytes(bytes, out _);
            return FromIPv4(bytes);
        }
        address.TryWriteBytes(bytes, out _);
        return FromIPv6(bytes);
    }

    public static IpAddress128 Parse(string text) => From(IPAddress.Parse(text));

    /// <summary>Writes the address as it appears on the wire: 4 bytes for IPv4, 16 for IPv6. Returns the count.</summary>
    public int WriteNetworkBytes(Span<byte> destination)
    {
        if (IsIPv4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, V4);
            return 4;
        }
        BinaryPrimitives.WriteUInt64BigEndian(destination, High);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], Low);
        return 16;
    }

    public IPAddress ToIPAddress()
    {
        Span<byte> bytes = stackalloc byte[16];
        int n = WriteNetworkBytes(bytes);
        return new IPAddress(bytes[..n]);
    }

    /// <summary>Longest text form: a full IPv6 address with an embedded IPv4 tail.</summary>
    public const int MaxTextLength = 45;

    public override string ToString()
    {
        Span<char> text = stackalloc char[MaxTextLength];
        TryFormat(text, out int length);
        return new string(text[..length]);
    }

    /// <summary>
    /// Writes the usual text form (dotted quad; RFC 5952 for IPv6). IPv4, the common case when writing
    /// many flow records, is formatted without allocating.
    /// </summary>
    public bool TryFormat(Span<char> destination, out int charsWritten)
    {
        if (!IsIPv4) return ToIPAddress().TryFormat(destination, out charsWritten);
        charsWritten = 0;
        uint value = V4;
        for (int shift = 24; shift >= 0; shift -= 8)
        {
            if (shift != 24)
            {
                if (charsWritten >= destination.Length) return false;
                destination[charsWritten++] = '.';
            }
            if (!((byte)(value >> shift)).TryFormat(destination[charsWritten..], out int written)) return false;
            charsWritten += written;
        }
        return true;
    }

    public bool Equals(IpAddress128 other) => High == other.High && Low == other.Low;
    public override bool Equals(object? obj) => obj is IpAddress128 other && Equals(other);
    public override int GetHashCode() => HashCode.Combine(High, Low);

    public int CompareTo(IpAddress128 other)
    {
        int c = High.CompareTo(other.High);
        return c != 0 ? c : Low.CompareTo(other.Low);
    }

    public static bool operator ==(IpAddress128 left, IpAddress128 right) => left.Equals(right);
    public static bool operator !=(IpAddress128 left, IpAddress128 right) => !left.Equals(right);
    public static bool operator <(IpAddress128 left, IpAddress128 right) => left.CompareTo(right) < 0;
    public static bool operator >(IpAddress128 left, IpAddress128 right) => left.CompareTo(right) > 0;
    public static bool operator <=(IpAddress128 left, IpAddress128 right) => left.CompareTo(right) <= 0;
    public static bool operator >=(IpAddress128 left, IpAddress128 right) => left.CompareTo(right) >= 0;
}
