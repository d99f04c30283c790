using Flowmesh.Core.HostContext;

namespace Flowmesh.Capture.HostContext.Processes;

/// <summary>
/// What a socket table knows about a socket's owner. The kernel hooks know the name, uid and cgroup at the time of the
/// call; the socket table only the uid and the process id (the rest is read from /proc).
/// </summary>
/// <param name="Name">The program name as recorded (Linux comm), or null to read it from /proc.</param>
/// <param name="NetworkNamespace">Inode of the socket's network namespace; 0 when unknown.</param>
public readonly record struct SocketOwner(
    int Pid, string? Name, uint? UserId, ulong? CgroupId, uint NetworkNamespace, AttributionSource Source);
