using System.Runtime.InteropServices;

namespace Flowmesh.Capture.HostContext.Tcp;

/// <summary>Mirror of <c>struct flowmesh_drop_count</c> (src/ebpf/tcp_stats_maps.h).</summary>
[StructLayout(LayoutKind.Sequential, Size = 16)]
internal struct KernelDropCount
{
    public ulong Packets;
    public ulong LastNanoseconds;
}
