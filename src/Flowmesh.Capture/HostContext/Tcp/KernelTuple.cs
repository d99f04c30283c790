using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Flowmesh.Core.Packets;

namespace Flowmesh.Capture.HostContext.Tcp;

/// <summary>
/// Mirror of <c>struct flowmesh_tuple</c> (src/ebpf/tcp_stats_maps.h): an oriented 5-tuple. In the TCP map the source
/// is the socket's local end; in the drop map it is the dropped packet's source.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 40)]
internal unsafe struct KernelTuple : IEquatable<KernelTuple>
{
    [FieldOffset(0)] private fixed byte _sourceAddress[16];
    [FieldOffset(16)] private fixed byte _destinationAddress[16];
    [FieldOffset(32)] private ushort _sourcePort;
    [FieldOffset(34)] private ushort _destinationPort;
    [FieldOffset(36)] private byte _protocol;
    [FieldOffset(37)] private fixed byte _pad[3];

    public KernelTuple(byte protocol, IpAddress128 source, ushort sourcePort, IpAddress128 destination, ushort destinationPort)
    {
        fixed (byte* s = _sourceAddress) WriteMapped(source, new Span<byte>(s, 16));
        fixed (byte* d = _destinationAddress) WriteMapped(destination, new Span<byte>(d, 16));
        _sourcePort = sourcePort;
        _destinationPort = destinationPort;
        _protocol = protocol;
    }

    /// <summary>All 16 bytes, IPv4 as IPv4-mapped IPv6 like the kernel side (WriteNetworkBytes writes IPv4 as 4 bytes).</summary>
    private static void WriteMapped(IpAddress128 address, Span<byte> to)
    {
        BinaryPrimitives.WriteUInt64BigEndian(to, address.High);
        BinaryPrimitives.WriteUInt64BigEndian(to[8..], address.Low);
    }

    public readonly IpAddress128 SourceAddress
    {
        get
        {
            fixed (byte* p = _sourceAddress) return IpAddress128.FromIPv6(new ReadOnlySpan<byte>(p, 16));
        }
    }

    public readonly IpAddress128 DestinationAddress
    {
        get
        {
            fixed (byte* p = _destinationAddress) return IpAddress128.FromIPv6(new ReadOnlySpan<byte>(p, 16));
        }
    }

    public readonly ushort SourcePort => _sourcePort;
    public readonly ushort DestinationPort => _destinationPort;
    public readonly byte Protocol => _protocol;

    /// <summary>The same flow seen from its other end.</summary>
    public readonly KernelTuple Reversed() => new(_protocol, DestinationAddress, _destinationPort, SourceAddress, _sourcePort);

    public readonly bool Equals(KernelTuple other)
    {
        fixed (byte* a = _sourceAddress)
        {
            return new ReadOnlySpan<byte>(a, 40).SequenceEqual(new ReadOnlySpan<byte>(&other, 40));
        }
    }

    public override readonly bool Equals(object? obj) => obj is KernelTuple other && Equals(other);

    public override readonly int GetHashCode()
    {
        fixed (byte* a = _sourceAddress)
        {
            var bytes = new ReadOnlySpan<byte>(a, 40);
            return HashCode.Combine(BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]), BinaryPrimitives.ReadUInt64LittleEndian(bytes[24..]),
                BinaryPrimitives.ReadUInt64LittleEndian(bytes[32..]));
        }
    }

    public override readonly string ToString() =>
        $"{_protocol} {SourceAddress}:{_sourcePort} -> {DestinationAddress}:{_destinationPort}";
}
