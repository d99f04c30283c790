using System.Runtime.InteropServices;

namespace Flowmesh.Capture.Ebpf;

/// <summary>libbpf's <c>struct bpf_map_batch_opts</c> (24 bytes on 64-bit).</summary>
[StructLayout(LayoutKind.Explicit, Size = 24)]
internal struct BpfMapBatchOptions
{
    [FieldOffset(0)] public nuint Size;
    [FieldOffset(8)] public ulong ElementFlags;
    [FieldOffset(16)] public ulong Flags;

    public static BpfMapBatchOptions Default => new() { Size = 24 };
}
