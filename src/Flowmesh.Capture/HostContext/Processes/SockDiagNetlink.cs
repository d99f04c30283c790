using System.Runtime.InteropServices;

namespace Flowmesh.Capture.HostContext.Processes;

/// <summary>
/// Dumps the kernel's TCP and UDP sockets (IPv4 and IPv6) over NETLINK_SOCK_DIAG, what <c>ss</c> does. Needs no
/// privilege for the sockets' endpoints, uid and inode. One dump is bounded by <see cref="MaxSockets"/>.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static unsafe partial class SockDiagNetlink
{
    public const int MaxSockets = 262_144;
    private const int AddressFamilyNetlink = 16;
    private const int SocketRaw = 3;
    private const int SocketCloseOnExec = 0x80000;
    private const int NetlinkSockDiag = 4;
    private const int ReceiveBufferBytes = 64 * 1024;
    private static uint _sequence;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint send(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint recv(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc")]
    private static partial int close(int fd);

    /// <summary>Every TCP and UDP socket; <paramref name="malformed"/> counts messages that did not parse.</summary>
    public static List<InetDiagSocket> DumpAll(ref long malformed)
    {
        var sockets = new List<InetDiagSocket>();
        foreach (byte family in (byte[])[2, 10])
        {
            foreach (byte protocol in (byte[])[6, 17])
                Dump(family, protocol, sockets, ref malformed);
        }
        return sockets;
    }

    private static void Dump(byte family, byte protocol, List<InetDiagSocket> sockets, ref long malformed)
    {
        int fd = socket(AddressFamilyNetlink, SocketRaw | SocketCloseOnExec, NetlinkSockDiag);
        if (fd < 0) throw new IOException($"sock_diag netlink socket: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        try
        {
            byte[] request = InetDiagParser.Request(family, protocol, Interlocked.Increment(ref _sequence));
            fixed (byte* p = request)
            {
                if (send(fd, p, (nuint)request.Length, 0) != request.Length)
                    throw new IOException($"sock_diag request: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            }
            byte[] buffer = new byte[ReceiveBufferBytes];
            while (sockets.Count < MaxSockets)
            {
                nint received;
                fixed (byte* p = buffer) received = recv(fd, p, (nuint)buffer.Length, 0);
                if (received <= 0) return;
                if (InetDiagParser.Parse(buffer.AsSpan(0, (int)received), protocol, sockets, ref malformed) != InetDiagParser.Outcome.More)
                    return;
            }
        }
        finally
        {
            close(fd);
        }
    }
}
