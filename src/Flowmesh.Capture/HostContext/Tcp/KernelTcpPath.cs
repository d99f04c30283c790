using System.Runtime.InteropServices;

namespace Flowmesh.Capture.HostContext.Tcp;

/// <summary>Mirror of <c>struct flowmesh_tcp_path</c> (src/ebpf/tcp_stats_maps.h): one socket's path since user space last took its entry.</summary>
[StructLayout(LayoutKind.Sequential, Size = 32)]
internal struct KernelTcpPath
{
    public uint SmoothedRttMicros;
    public uint MinSmoothedRttMicros;
    public uint MaxSmoothedRttMicros;
    public uint Samples;
    public ulong Retransmits;
    public ulong LastNanoseconds;
}
