using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Flowmesh.Core.Packets;

namespace Flowmesh.Capture.HostContext.Processes;

/// <summary>Mirror of <c>struct flowmesh_process_key</c> (src/ebpf/process_maps.h).</summary>
[StructLayout(LayoutKind.Explicit, Size = 40)]
internal unsafe struct KernelProcessKey
{
    [FieldOffset(0)] private fixed byte _localAddress[16];
    [FieldOffset(16)] private fixed byte _remoteAddress[16];
    [FieldOffset(32)] private ushort _localPort;
    [FieldOffset(34)] private ushort _remotePort;
    [FieldOffset(36)] private byte _protocol;
    [FieldOffset(37)] private fixed byte _pad[3];

    public static KernelProcessKey From(in SocketEndpoints socket)
    {
        var key = default(KernelProcessKey);
        // The kernel keeps IPv4 IPv4-mapped (16 bytes), as IpAddress128 holds it; WriteNetworkBytes would write 4.
        Write(socket.Local, new Span<byte>(key._localAddress, 16));
        Write(socket.Remote, new Span<byte>(key._remoteAddress, 16));
        key._localPort = socket.LocalPort;
        key._remotePort = socket.RemotePort;
        key._protocol = socket.Protocol;
        return key;
    }

    private static void Write(IpAddress128 address, Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, address.High);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], address.Low);
    }
}
