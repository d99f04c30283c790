namespace Flowmesh.Capture.HostContext.Processes;

/// <summary>One socket of a sock_diag dump: its endpoints (as <see cref="SocketEndpoints"/>), owner uid, inode and TCP state.</summary>
public readonly record struct InetDiagSocket(SocketEndpoints Endpoints, uint UserId, ulong Inode, byte State);
