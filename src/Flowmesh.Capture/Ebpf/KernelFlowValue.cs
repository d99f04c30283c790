using System.Runtime.InteropServices;

namespace Flowmesh.Capture.Ebpf;

/// <summary>Mirror of <c>struct flowmesh_flow_value</c>: both directions of one flow, relative to its <see cref="KernelFlowKey"/>.</summary>
[StructLayout(LayoutKind.Explicit, Size = 96)]
public struct KernelFlowValue
{
    [FieldOffset(0)] private KernelDirectionCounters _lowToHigh;
    [FieldOffset(48)] private KernelDirectionCounters _highToLow;

    /// <summary>Packets sent by the key's low endpoint.</summary>
    public readonly KernelDirectionCounters LowToHigh => _lowToHigh;
    /// <summary>Packets sent by the key's high endpoint.</summary>
    public readonly KernelDirectionCounters HighToLow => _highToLow;
}
