namespace Flowmesh.Capture.HostContext.Processes;

/// <summary>
/// The platform's answer to "which process owns this socket": the kernel hooks' map, the Linux socket table (sock_diag),
/// or, later, the Windows IP Helper API. <see cref="ProcessAttributionProvider"/> asks it for the flow's endpoints in
/// both orientations and with wildcards, and does the rest (enrichment, counting) the same way for all of them.
/// </summary>
public interface ISocketTable
{
    /// <summary>One line for the session's notes ("eBPF socket hooks (...)", "socket table (sock_diag)").</summary>
    string Description { get; }

    /// <summary>Whether this table knows the senders of raw, packet and ping sockets (flows of protocols without ports).</summary>
    bool KnowsRawSenders { get; }

    /// <summary>The owner of exactly this socket (wildcards are separate lookups), or false.</summary>
    bool TryFindOwner(in SocketEndpoints socket, out SocketOwner owner);
}
