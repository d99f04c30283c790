namespace Flowmesh.Capture.HostContext.Processes;

/// <summary>The systemd unit (or, without one, the cgroup path) of a process, from /proc/PID/cgroup.</summary>
public static class CgroupUnit
{
    private const int MaxLength = 512;

    /// <summary>
    /// Uses the cgroup v2 line ("0::/system.slice/ssh.service"), else the systemd v1 hierarchy ("1:name=systemd:/...").
    /// The deepest component that is a unit (.service, .scope) wins: "/user.slice/user-1000.slice/user@1000.service/app.slice/
    /// app-firefox.scope" is app-firefox.scope. Null for the root cgroup or text that is not a cgroup file.
    /// </summary>
    public static string? FromProcCgroup(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string? path = null;
        foreach (string line in text.Split('\n'))
        {
            if (line.StartsWith("0::", StringComparison.Ordinal)) { path = line[3..]; break; }
            int systemd = line.IndexOf(":name=systemd:", StringComparison.Ordinal);
            if (systemd > 0 && path is null) path = line[(systemd + 14)..];
        }
        return path is null ? null : FromPath(path);
    }

    /// <summary>The unit in a cgroup path, else the path itself (bounded), or null for "/" and empty or invalid paths.</summary>
    public static string? FromPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        path = path.Trim();
        if (path.Length == 0 || path[0] != '/' || path == "/" || path.Any(char.IsControl)) return null;
        string[] parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (int i = parts.Length - 1; i >= 0; i--)
        {
            if (parts[i].EndsWith(".service", StringComparison.Ordinal) || parts[i].EndsWith(".scope", StringComparison.Ordinal))
                return parts[i].Length <= MaxLength ? parts[i] : null;
        }
        return path.Length <= MaxLength ? path : path[..MaxLength];
    }
}
