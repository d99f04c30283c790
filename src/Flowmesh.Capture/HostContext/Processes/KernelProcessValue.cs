using System.Runtime.InteropServices;
using System.Text;

namespace Flowmesh.Capture.HostContext.Processes;

/// <summary>Mirror of <c>struct flowmesh_process_value</c> (src/ebpf/process_maps.h).</summary>
[StructLayout(LayoutKind.Explicit, Size = 56)]
internal unsafe struct KernelProcessValue
{
    [FieldOffset(0)] private ulong _cgroupId;
    [FieldOffset(8)] private ulong _seenNanoseconds;
    [FieldOffset(16)] private uint _tgid;
    [FieldOffset(20)] private uint _tid;
    [FieldOffset(24)] private uint _uid;
    [FieldOffset(28)] private uint _netns;
    [FieldOffset(32)] private byte _hook;
    [FieldOffset(33)] private fixed byte _pad[7];
    [FieldOffset(40)] private fixed byte _comm[16];

    public readonly ulong CgroupId => _cgroupId;
    public readonly ulong SeenNanoseconds => _seenNanoseconds;
    public readonly int ProcessId => (int)_tgid;
    public readonly int ThreadId => (int)_tid;
    public readonly uint UserId => _uid;
    public readonly uint NetworkNamespace => _netns;
    public readonly KernelProcessHook Hook => (KernelProcessHook)_hook;

    /// <summary>comm as two numbers: a key to reuse its decoded string without decoding it again.</summary>
    public readonly (ulong, ulong) CommandBits
    {
        get
        {
            fixed (byte* p = _comm) return (*(ulong*)p, *(ulong*)(p + 8));
        }
    }

    /// <summary>comm up to its NUL; the kernel always terminates it, a damaged value is cut at 16 bytes.</summary>
    public readonly string Command
    {
        get
        {
            fixed (byte* p = _comm)
            {
                var bytes = new ReadOnlySpan<byte>(p, 16);
                int end = bytes.IndexOf((byte)0);
                return Encoding.UTF8.GetString(end < 0 ? bytes : bytes[..end]);
            }
        }
    }
}
