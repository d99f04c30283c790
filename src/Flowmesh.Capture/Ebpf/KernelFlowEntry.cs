using System.Runtime.InteropServices;

namespace Flowmesh.Capture.Ebpf;

/// <summary>Mirror of <c>struct flowmesh_flow_entry</c>: one drained flow, its key and counters side by side.</summary>
[StructLayout(LayoutKind.Explicit, Size = 136)]
public struct KernelFlowEntry
{
    [FieldOffset(0)] private KernelFlowKey _key;
    [FieldOffset(40)] private KernelFlowValue _value;

    public KernelFlowEntry(in KernelFlowKey key, in KernelFlowValue value)
    {
        _key = key;
        _value = value;
    }

    public readonly KernelFlowKey Key => _key;
    public readonly KernelFlowValue Value => _value;
}
