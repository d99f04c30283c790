using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Flowmesh.Capture.Ebpf;

/// <summary>
/// Collects what libbpf prints (its warnings and, when the kernel rejects a program, the whole verifier
/// log) so a failed load can say why instead of leaving the reason on the agent's stderr. libbpf's
/// print hook is process-wide, so captures are serialized by <see cref="Capture"/>'s caller holding <see cref="Gate"/>.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // netlink, tc/tcx, bpf(): Linux only (docs/windows.md)
internal static unsafe class LibbpfLog
{
    /// <summary>Keeps the end of very long verifier logs: the rejection reason is on the last lines.</summary>
    private const int MaxCapturedChars = 256 * 1024;

    public static readonly Lock Gate = new();
    private static readonly StringBuilder Captured = new();
    private static int _installed;

    /// <summary>Starts a fresh capture; call with <see cref="Gate"/> held.</summary>
    public static void Capture()
    {
        if (Interlocked.Exchange(ref _installed, 1) == 0)
            Libbpf.libbpf_set_print(&Print);
        lock (Captured) Captured.Clear();
    }

    public static string Text()
    {
        lock (Captured) return Captured.ToString();
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Print(int level, byte* format, nint arguments)
    {
        try
        {
            string message = Format(format, arguments);
            lock (Captured)
            {
                Captured.Append(message);
                if (Captured.Length > MaxCapturedChars)
                    Captured.Remove(0, Captured.Length - MaxCapturedChars);
            }
        }
        catch
        {
            // Never let an exception unwind into native code.
        }
        return 0;
    }

    private static string Format(byte* format, nint arguments)
    {
        // On x86-64 and arm64 the va_list argument arrives as a pointer to a small struct (24 / 32 bytes);
        // copying that struct is what va_copy does, which lets us ask for the length first and then
        // format the whole message, however long the verifier log is.
        int vaListSize = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 24,
            Architecture.Arm64 => 32,
            _ => 0,
        };
        if (vaListSize > 0)
        {
            byte* copy = stackalloc byte[32];
            Buffer.MemoryCopy((void*)arguments, copy, 32, vaListSize);
            int length = Libc.vsnprintf(null, 0, format, (nint)copy);
            if (length < 0) return "";
            byte[] text = new byte[length + 1];
            fixed (byte* p = text) Libc.vsnprintf(p, (nuint)text.Length, format, arguments);
            return Encoding.UTF8.GetString(text, 0, length);
        }
        byte[] bounded = new byte[64 * 1024];
        fixed (byte* p = bounded)
        {
            int length = Libc.vsnprintf(p, (nuint)bounded.Length, format, arguments);
            return length < 0 ? "" : Encoding.UTF8.GetString(bounded, 0, Math.Min(length, bounded.Length - 1));
        }
    }
}
