using System.Runtime.InteropServices;
using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;

namespace Flowmesh.Capture.Ebpf;

/// <summary>
/// Mirror of <c>struct flowmesh_flow_key</c> (src/ebpf/flowmesh_maps.h): the direction-free 5-tuple, normalized
/// exactly like <see cref="FlowKey"/> (low endpoint = smaller address, then smaller port).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 40)]
public unsafe struct KernelFlowKey
{
    [FieldOffset(0)] private fixed byte _lowAddress[16];
    [FieldOffset(16)] private fixed byte _highAddress[16];
    [FieldOffset(32)] private ushort _lowPort;
    [FieldOffset(34)] private ushort _highPort;
    [FieldOffset(36)] private byte _protocol;
    [FieldOffset(37)] private fixed byte _pad[3];

    /// <summary>IPv4 addresses are IPv4-mapped, as in <see cref="IpAddress128"/>.</summary>
    public readonly IpAddress128 LowAddress
    {
        get
        {
            fixed (byte* p = _lowAddress) return IpAddress128.FromIPv6(new ReadOnlySpan<byte>(p, 16));
        }
    }

    public readonly IpAddress128 HighAddress
    {
        get
        {
            fixed (byte* p = _highAddress) return IpAddress128.FromIPv6(new ReadOnlySpan<byte>(p, 16));
        }
    }

    /// <summary>0 for ICMP/ICMPv6, protocols without ports and non-first fragments.</summary>
    public readonly ushort LowPort => _lowPort;
    public readonly ushort HighPort => _highPort;
    public readonly byte Protocol => _protocol;

    public readonly FlowKey ToFlowKey() => new(LowAddress, LowPort, HighAddress, HighPort, Protocol);

    public override readonly string ToString() => ToFlowKey().ToString();
}
