namespace Flowmesh.Core.HostContext;

/// <summary>
/// The program behind a flow on the agent's own PC. Only <see cref="Pid"/>, <see cref="Name"/> and <see cref="Source"/>
/// are always known; the rest is null when the process exited before it could be read or the platform has no such notion.
/// </summary>
/// <param name="Pid">Process id (the thread-group id on Linux).</param>
/// <param name="Name">Short program name (Linux: <c>comm</c>, at most 15 bytes; Windows: image name).</param>
public sealed record ProcessIdentity(int Pid, string Name, AttributionSource Source)
{
    /// <summary>Full executable path (Linux: /proc/PID/exe).</summary>
    public string? Path { get; init; }

    /// <summary>Numeric user id (Linux uid); null on Windows or when unknown.</summary>
    public uint? UserId { get; init; }

    /// <summary>User name (from the uid, or the Windows account).</summary>
    public string? User { get; init; }

    /// <summary>systemd unit (for example <c>ssh.service</c>, <c>user@1000.service</c>) or, without one, the cgroup path.</summary>
    public string? Unit { get; init; }

    /// <summary>cgroup v2 id (what <c>bpf_get_current_cgroup_id</c> returns).</summary>
    public ulong? CgroupId { get; init; }
}
