using System.Globalization;

namespace Flowmesh.Capture.HostContext.Processes;

/// <summary>
/// Socket inode -> the process holding it, from the /proc/PID/fd links ("socket:[12345]"). A socket shared by several
/// processes (a forking server) maps to the lowest pid seen, normally the parent. Bounded by <see cref="MaxSockets"/>.
/// </summary>
internal static class ProcSocketInodes
{
    public const int MaxSockets = 262_144;

    public static Dictionary<ulong, int> Read(string procRoot = "/proc")
    {
        var owners = new Dictionary<ulong, int>();
        IEnumerable<string> processes;
        try
        {
            processes = Directory.EnumerateDirectories(procRoot);
        }
        catch (IOException) { return owners; }
        foreach (string directory in processes)
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
            try
            {
                foreach (string fd in Directory.EnumerateFileSystemEntries(Path.Combine(directory, "fd")))
                {
                    if (SocketInode(new FileInfo(fd).LinkTarget) is ulong inode && (!owners.TryGetValue(inode, out int known) || pid < known))
                    {
                        if (owners.Count >= MaxSockets) return owners;
                        owners[inode] = pid;
                    }
                }
            }
            catch (IOException) { }            // the process exited while we looked
            catch (UnauthorizedAccessException) { } // another user's process, without root
        }
        return owners;
    }

    /// <summary>"socket:[12345]" -> 12345; anything else (files, pipes, garbage) -> null.</summary>
    public static ulong? SocketInode(string? link)
    {
        if (link is null || !link.StartsWith("socket:[", StringComparison.Ordinal) || !link.EndsWith(']') || link.Length > 40) return null;
        return ulong.TryParse(link.AsSpan(8, link.Length - 9), NumberStyles.None, CultureInfo.InvariantCulture, out ulong inode) && inode != 0
            ? inode : null;
    }
}
