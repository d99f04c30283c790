using System.Runtime.InteropServices;

namespace Flowmesh.Capture.Ebpf;

/// <summary>libbpf's <c>struct bpf_tc_opts</c> (32 bytes on 64-bit): one cls_bpf filter.</summary>
[StructLayout(LayoutKind.Explicit, Size = 32)]
internal struct BpfTcOptions
{
    [FieldOffset(0)] public nuint Size;
    [FieldOffset(8)] public int ProgramFd;
    [FieldOffset(12)] public uint Flags;
    [FieldOffset(16)] public uint ProgramId;
    [FieldOffset(20)] public uint Handle;
    [FieldOffset(24)] public uint Priority;

    public static BpfTcOptions For(uint handle, uint priority, int programFd = 0) =>
        new() { Size = 32, Handle = handle, Priority = priority, ProgramFd = programFd };
}
