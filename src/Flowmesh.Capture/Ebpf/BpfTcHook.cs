using System.Runtime.InteropServices;

namespace Flowmesh.Capture.Ebpf;

/// <summary>libbpf's <c>struct bpf_tc_hook</c> (24 bytes on 64-bit): a clsact attach point of one interface.</summary>
[StructLayout(LayoutKind.Explicit, Size = 24)]
internal struct BpfTcHook
{
    [FieldOffset(0)] public nuint Size;
    [FieldOffset(8)] public int Ifindex;
    /// <summary><see cref="Libbpf.BpfTcIngress"/>, <see cref="Libbpf.BpfTcEgress"/> or both (the clsact qdisc itself).</summary>
    [FieldOffset(12)] public int AttachPoint;
    [FieldOffset(16)] public uint Parent;

    public static BpfTcHook For(int ifindex, int attachPoint) =>
        new() { Size = 24, Ifindex = ifindex, AttachPoint = attachPoint };
}
