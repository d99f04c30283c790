using System.Runtime.InteropServices;

namespace Flowmesh.Capture.Ebpf;

/// <summary>The few libc calls the eBPF path needs: closing kernel object fds, clocks, formatting libbpf's messages.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // netlink, tc/tcx, bpf(): Linux only (docs/windows.md)
internal static unsafe partial class Libc
{
    private const string LibraryName = "libc";

    public const int ClockRealtime = 0;
    public const int ClockMonotonic = 1;

    [StructLayout(LayoutKind.Sequential)]
    public struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport(LibraryName)]
    public static partial int clock_gettime(int clockId, Timespec* time);

    [LibraryImport(LibraryName)]
    public static partial int vsnprintf(byte* buffer, nuint size, byte* format, nint arguments);

    public static long NowNanoseconds(int clockId)
    {
        Timespec time;
        clock_gettime(clockId, &time);
        return time.Seconds * 1_000_000_000L + time.Nanoseconds;
    }
}
