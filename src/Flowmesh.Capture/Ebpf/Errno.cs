using System.Runtime.InteropServices;

namespace Flowmesh.Capture.Ebpf;

/// <summary>Turns libbpf's negative errno results into text for messages.</summary>
internal static class Errno
{
    public const int NoEntry = 2;       // ENOENT
    public const int Exists = 17;       // EEXIST
    public const int InvalidArgument = 22; // EINVAL
    public const int NoSpace = 28;      // ENOSPC
    public const int NotSupported = 95; // EOPNOTSUPP
    public const int KernelNotSupported = 524; // ENOTSUPP (kernel-internal, leaks out of the bpf syscall)

    public static string Describe(int negativeErrno)
    {
        int errno = Math.Abs(negativeErrno);
        return errno == KernelNotSupported ? "operation not supported (ENOTSUPP)" : $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";
    }
}
