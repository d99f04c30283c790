namespace Flowmesh.Capture.Ebpf;

/// <summary>Mirror of <c>enum flowmesh_counter</c>: slots of the kernel's per-CPU counter array.</summary>
internal enum KernelCounterIndex
{
    MapFull = 0,
    UpdateFailed = 1,
    NotIp = 2,
    BadIpHeader = 3,
    TruncatedTransport = 4,
    Ipv6HeaderChain = 5,
    Count = 6,
}
