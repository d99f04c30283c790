using Flowmesh.Core.Packets;

namespace Flowmesh.Capture.HostContext.Processes;

/// <summary>
/// A socket as its owner sees it: local endpoint first. An unspecified address (0.0.0.0, ::) is
/// <c>default(IpAddress128)</c> for both families, and a remote of all zero with port 0 means "any peer" (a listener or an
/// unconnected UDP socket), as in src/ebpf/process_maps.h.
/// </summary>
public readonly record struct SocketEndpoints(byte Protocol, IpAddress128 Local, ushort LocalPort, IpAddress128 Remote, ushort RemotePort)
{
    /// <summary>The same local endpoint with any peer.</summary>
    public SocketEndpoints AnyPeer => new(Protocol, Local, LocalPort, default, 0);

    /// <summary>The same local port on any local address.</summary>
    public SocketEndpoints AnyLocalAddress => new(Protocol, default, LocalPort, default, 0);

    /// <summary>Normalizes 0.0.0.0 (::ffff:0.0.0.0) to the all-zero unspecified address.</summary>
    public static IpAddress128 Unspecified(IpAddress128 address) =>
        address.IsIPv4 && address.V4 == 0 ? default : address;
}
