using System.Runtime.InteropServices;

namespace Flowmesh.Capture.Ebpf;

/// <summary>Turns libbpf's negative errno results into text for messages.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // netlink, tc/tcx, bpf(): Linux only (docs/windows.md)
internal static class Errno
{
    public const int NoEntry = 2;       // ENOENT
    public const int Exists = 17;       // EEXIST
    public const int InvalidArgument = 22; // EINVAL
    public const int NoSpace = 28;      // ENOSPC
    public const int NotSupported = 95; // EOPNOTSUPP
    public const int KernelNotSupported = 524; // ENOTSUPP (kernel-internal, leaks out of the bpf syscall)

    /// <summary>libbpf's private error numbers start here (LIBBPF_ERRNO__START).</summary>
    private const int LibbpfErrorStart = 4000;

    public static unsafe string Describe(int negativeErrno)
    {
        int errno = Math.Abs(negativeErrno);
        if (errno == KernelNotSupported) return "operation not supported (ENOTSUPP)";
        if (errno >= LibbpfErrorStart)
        {
            byte* text = stackalloc byte[256];
            if (Libbpf.libbpf_strerror(errno, text, 256) == 0)
                return $"{Marshal.PtrToStringUTF8((nint)text)} (libbpf error {errno})";
        }
        return $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";
    }
}
