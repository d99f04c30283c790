using System.Runtime.InteropServices;

namespace Flowmesh.Capture.HostContext.Tcp;

/// <summary>Mirror of <c>struct flowmesh_drop_key</c> (src/ebpf/tcp_stats_maps.h): the dropped packet's 5-tuple and the kernel's reason.</summary>
[StructLayout(LayoutKind.Sequential, Size = 48)]
internal struct KernelDropKey
{
    public KernelTuple Tuple;
    public uint Reason;
    public uint Pad;
}
