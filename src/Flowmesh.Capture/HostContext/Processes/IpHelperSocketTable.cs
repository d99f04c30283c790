using System.Diagnostics;
using System.Runtime.InteropServices;
using Flowmesh.Core.HostContext;

namespace Flowmesh.Capture.HostContext.Processes;

/// <summary>
/// The Windows socket table: IP Helper's GetExtendedTcpTable/GetExtendedUdpTable with owning pids, re-read at most once
/// per <see cref="RefreshInterval"/> on a miss, like <see cref="LinuxSocketTable"/>. UNTESTED: it compiles, and its
/// table parser (<see cref="IpHelperTableParser"/>) is tested on Linux, but no test has run it on Windows. UDP sockets
/// are listed without a peer, so every UDP flow matches by local port. Not thread-safe.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("windows")]
public sealed unsafe partial class IpHelperSocketTable : ISocketTable
{
    private const uint AddressFamilyInet = 2;
    private const uint AddressFamilyInet6 = 23;
    private const int TcpTableOwnerPidAll = 5;
    private const int UdpTableOwnerPid = 1;
    private const uint ErrorInsufficientBuffer = 122;
    private const int MaxTableBytes = 64 * 1024 * 1024;

    private Dictionary<SocketEndpoints, int> _owners = [];
    private readonly Dictionary<int, string?> _names = [];
    private long _readAt = long.MinValue;

    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromSeconds(1);

    public string Description => "socket table (IP Helper, untested)";

    public bool KnowsRawSenders => false;

    /// <summary>Rows a table promised that its buffer did not hold.</summary>
    public long TruncatedRows { get; private set; }

    [LibraryImport("iphlpapi.dll")]
    private static partial uint GetExtendedTcpTable(void* table, uint* size, int order, uint family, int tableClass, uint reserved);

    [LibraryImport("iphlpapi.dll")]
    private static partial uint GetExtendedUdpTable(void* table, uint* size, int order, uint family, int tableClass, uint reserved);

    public bool TryFindOwner(in SocketEndpoints socket, out SocketOwner owner)
    {
        if (!_owners.TryGetValue(socket, out int pid))
        {
            long now = Environment.TickCount64;
            if (_readAt != long.MinValue && now - _readAt < RefreshInterval.TotalMilliseconds || !Refresh(now) || !_owners.TryGetValue(socket, out pid))
            {
                owner = default;
                return false;
            }
        }
        owner = new SocketOwner(pid, Name(pid), null, null, 0, AttributionSource.IpHelper);
        return true;
    }

    private bool Refresh(long now)
    {
        _readAt = now;
        var sockets = new List<(SocketEndpoints Socket, int Pid)>();
        foreach (uint family in (uint[])[AddressFamilyInet, AddressFamilyInet6])
        {
            foreach (byte protocol in (byte[])[6, 17])
            {
                byte[]? table = Read(protocol, family);
                if (table is not null) TruncatedRows += IpHelperTableParser.Parse(table, protocol, family == AddressFamilyInet6, sockets);
            }
        }
        var owners = new Dictionary<SocketEndpoints, int>(sockets.Count);
        foreach (var (socket, pid) in sockets) owners.TryAdd(socket, pid);
        _owners = owners;
        _names.Clear();
        return true;
    }

    private static byte[]? Read(byte protocol, uint family)
    {
        uint size = 0;
        for (int attempt = 0; attempt < 4; attempt++)
        {
            byte[] buffer = new byte[Math.Max(size, 4)];
            uint result;
            fixed (byte* p = buffer)
            {
                result = protocol == 6
                    ? GetExtendedTcpTable(p, &size, 0, family, TcpTableOwnerPidAll, 0)
                    : GetExtendedUdpTable(p, &size, 0, family, UdpTableOwnerPid, 0);
            }
            if (result == 0) return buffer;
            // The table grew between the size query and the read: ask again with the new size.
            if (result != ErrorInsufficientBuffer || size > MaxTableBytes) return null;
        }
        return null;
    }

    private string? Name(int pid)
    {
        if (_names.TryGetValue(pid, out string? name)) return name;
        try
        {
            using Process process = Process.GetProcessById(pid);
            name = process.ProcessName;
        }
        catch (ArgumentException)
        {
            name = null; // exited
        }
        catch (InvalidOperationException)
        {
            name = null;
        }
        _names[pid] = name;
        return name;
    }
}
