namespace Flowmesh.Core.HostContext;

/// <summary>How the agent learned which process a flow belongs to (the flow's <c>process.source</c>).</summary>
public enum AttributionSource : byte
{
    /// <summary>
    /// eBPF socket hooks (for example <c>tracepoint/sock/inet_sock_set_state</c> or cgroup sock hooks): the process that
    /// owned the socket when it connected, bound or sent. Works for processes that exited before the flow was exported.
    /// </summary>
    KernelSocketHook = 1,

    /// <summary>The socket table when the agent looked (netlink sock_diag and /proc/PID/fd): only sockets still open then.</summary>
    SocketTable = 2,

    /// <summary>
    /// No kernel socket made the flow (raw or packet sockets: nmap -sS, hping3); the process that held the packet socket
    /// is the best the kernel can say.
    /// </summary>
    PacketSocketOwner = 3,

    /// <summary>Windows IP Helper (GetExtendedTcpTable/GetExtendedUdpTable).</summary>
    IpHelper = 4,
}

public static class AttributionSourceNames
{
    /// <summary>The stable text used in JSON, CSV, the API and docs/flow-records.md.</summary>
    public static string ToText(this AttributionSource source) => source switch
    {
        AttributionSource.KernelSocketHook => "ebpf-socket",
        AttributionSource.SocketTable => "socket-table",
        AttributionSource.PacketSocketOwner => "packet-socket",
        AttributionSource.IpHelper => "ip-helper",
        _ => "unknown",
    };
}
