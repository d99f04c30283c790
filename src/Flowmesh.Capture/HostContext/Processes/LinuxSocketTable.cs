using Flowmesh.Core.HostContext;

namespace Flowmesh.Capture.HostContext.Processes;

/// <summary>
/// The socket-table fallback (libpcap capture, or no eBPF): the kernel's socket list from netlink sock_diag joined to
/// the /proc/PID/fd inodes. Only sockets still open when it looks can be attributed, so short-lived programs are
/// mostly missed (the eBPF hooks are not). Both lists are re-read at most once per <see cref="RefreshInterval"/>,
/// on a miss or when older than that: a miss storm costs one dump per interval, not one per flow.
/// Not thread-safe.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LinuxSocketTable : ISocketTable, IHostContextCounters
{
    private readonly Func<List<InetDiagSocket>> _dumpSockets;
    private readonly Func<Dictionary<ulong, int>> _readInodes;
    private Dictionary<SocketEndpoints, InetDiagSocket> _sockets = [];
    private Dictionary<ulong, int> _owners = [];
    private long _readAt = long.MinValue;
    private long _malformed;

    public LinuxSocketTable(TimeSpan? refreshInterval = null) : this(refreshInterval, null, null) { }

    internal LinuxSocketTable(TimeSpan? refreshInterval, Func<List<InetDiagSocket>>? dumpSockets, Func<Dictionary<ulong, int>>? readInodes)
    {
        RefreshInterval = refreshInterval ?? TimeSpan.FromSeconds(1);
        _dumpSockets = dumpSockets ?? (() => SockDiagNetlink.DumpAll(ref _malformed));
        _readInodes = readInodes ?? (() => ProcSocketInodes.Read());
    }

    public TimeSpan RefreshInterval { get; }

    public string Description => "socket table (sock_diag)";

    public bool KnowsRawSenders => false;

    /// <summary>Times the socket list and the /proc inodes were read.</summary>
    public long Refreshes { get; private set; }

    public void AddTo(IDictionary<string, long> counters)
    {
        counters["process.table_refreshes"] = Refreshes;
        counters["process.table_refresh_failures"] = RefreshFailures;
        counters["process.table_malformed_messages"] = MalformedMessages;
    }

    /// <summary>sock_diag messages that did not parse (truncated or inconsistent).</summary>
    public long MalformedMessages => Interlocked.Read(ref _malformed);

    /// <summary>Refreshes that failed (netlink refused); the previous snapshot stays in use.</summary>
    public long RefreshFailures { get; private set; }

    public bool TryFindOwner(in SocketEndpoints socket, out SocketOwner owner)
    {
        if (Find(socket, out owner)) return true;
        long now = Environment.TickCount64;
        if (_readAt != long.MinValue && now - _readAt < RefreshInterval.TotalMilliseconds) return false;
        Refresh(now);
        return Find(socket, out owner);
    }

    private bool Find(in SocketEndpoints socket, out SocketOwner owner)
    {
        owner = default;
        if (!_sockets.TryGetValue(socket, out InetDiagSocket found) || !_owners.TryGetValue(found.Inode, out int pid)) return false;
        owner = new SocketOwner(pid, null, found.UserId, null, 0, AttributionSource.SocketTable);
        return true;
    }

    private void Refresh(long now)
    {
        _readAt = now;
        Refreshes++;
        List<InetDiagSocket> sockets;
        try
        {
            sockets = _dumpSockets();
        }
        catch (IOException)
        {
            RefreshFailures++;
            return;
        }
        var byEndpoints = new Dictionary<SocketEndpoints, InetDiagSocket>(sockets.Count);
        foreach (InetDiagSocket socket in sockets)
        {
            // TIME_WAIT and orphaned sockets have no inode and no owner any more.
            if (socket.Inode != 0) byEndpoints.TryAdd(socket.Endpoints, socket);
        }
        _sockets = byEndpoints;
        _owners = _readInodes();
    }
}
