using Flowmesh.Core.HostContext;

namespace Flowmesh.Capture.HostContext.Processes;

/// <summary>
/// Turns a socket owner into a <see cref="ProcessIdentity"/>: path from /proc/PID/exe, unit from /proc/PID/cgroup, user
/// name from the uid. Cached per process for a while, so a busy program costs one /proc read, not one per flow. A
/// process that already exited keeps what the socket table recorded (the kernel hooks: name, uid, cgroup id).
/// Bounded: the cache is emptied when it reaches its size. Not thread-safe.
/// </summary>
public sealed class ProcessDetailsCache
{
    private static readonly TimeSpan EntryLifetime = TimeSpan.FromSeconds(30);
    private const int MaxEntries = 4096;

    private readonly string _procRoot;
    private readonly PasswdUserNames _users;
    private readonly Dictionary<(int Pid, AttributionSource Source), Entry> _entries = [];

    public ProcessDetailsCache() : this("/proc", new PasswdUserNames()) { }

    internal ProcessDetailsCache(string procRoot, PasswdUserNames users)
    {
        _procRoot = procRoot;
        _users = users;
    }

    /// <summary>Processes looked up in /proc since the start (cache misses).</summary>
    public long ProcReads { get; private set; }

    public ProcessIdentity Identify(in SocketOwner owner)
    {
        long now = Environment.TickCount64;
        var key = (owner.Pid, owner.Source);
        if (_entries.TryGetValue(key, out Entry? cached) && now - cached.ReadAt < EntryLifetime.TotalMilliseconds
            && (owner.Name is null || owner.Name == cached.Identity.Name) && (owner.UserId is null || owner.UserId == cached.Identity.UserId))
            return cached.Identity;

        if (_entries.Count >= MaxEntries) _entries.Clear();
        ProcessIdentity identity = Read(owner);
        _entries[key] = new Entry(identity, now);
        return identity;
    }

    private ProcessIdentity Read(in SocketOwner owner)
    {
        ProcReads++;
        string directory = Path.Combine(_procRoot, owner.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        string? name = owner.Name ?? ReadText(Path.Combine(directory, "comm"))?.TrimEnd('\n');
        string? path = null;
        try
        {
            path = new FileInfo(Path.Combine(directory, "exe")).LinkTarget;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        // The kernel hooks recorded the name at the socket call; /proc may already show a different program under a
        // reused pid, or the same program after exec: keep the path only when /proc agrees on the name.
        if (path is not null && owner.Name is not null && ReadText(Path.Combine(directory, "comm"))?.TrimEnd('\n') != owner.Name)
            path = null;
        uint? uid = owner.UserId ?? ProcStatus.RealUserId(ReadText(Path.Combine(directory, "status")));
        string? cgroup = ReadText(Path.Combine(directory, "cgroup"));
        string? unit = cgroup is null || path is null && owner.Name is not null ? null : CgroupUnit.FromProcCgroup(cgroup);
        return new ProcessIdentity(owner.Pid, name ?? "?", owner.Source)
        {
            Path = path is not null && path.EndsWith(" (deleted)", StringComparison.Ordinal) ? path[..^10] : path,
            UserId = uid,
            User = uid is uint id ? _users.Find(id) : null,
            Unit = unit,
            CgroupId = owner.CgroupId,
        };
    }

    private static string? ReadText(string path)
    {
        try
        {
            // /proc files report size 0: read to the end; none of these is large, but a hostile one is cut at 64 KiB.
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
            byte[] buffer = new byte[64 * 1024];
            int total = 0, read;
            while (total < buffer.Length && (read = stream.Read(buffer, total, buffer.Length - total)) > 0) total += read;
            return System.Text.Encoding.UTF8.GetString(buffer, 0, total);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private sealed record Entry(ProcessIdentity Identity, long ReadAt);
}
