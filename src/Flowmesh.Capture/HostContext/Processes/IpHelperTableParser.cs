using System.Buffers.Binary;
using Flowmesh.Core.Packets;

namespace Flowmesh.Capture.HostContext.Processes;

/// <summary>
/// Parses the tables Windows' IP Helper returns (GetExtendedTcpTable with TCP_TABLE_OWNER_PID_ALL, GetExtendedUdpTable
/// with UDP_TABLE_OWNER_PID; iprtrmib.h/tcpmib.h/udpmib.h): a row count, then fixed-size rows. Platform-neutral, so it
/// is tested on Linux on valid and damaged tables; only the native calls around it (<see cref="IpHelperSocketTable"/>)
/// are Windows-only. A count that does not fit the buffer is cut to the rows that do.
/// </summary>
public static class IpHelperTableParser
{
    public const int TcpRowV4 = 24;  // MIB_TCPROW_OWNER_PID
    public const int TcpRowV6 = 56;  // MIB_TCP6ROW_OWNER_PID
    public const int UdpRowV4 = 12;  // MIB_UDPROW_OWNER_PID
    public const int UdpRowV6 = 28;  // MIB_UDP6ROW_OWNER_PID
    private const uint TcpStateListen = 2; // MIB_TCP_STATE_LISTEN

    /// <summary>Adds (socket, pid) pairs; returns how many rows the count promised but the buffer did not hold.</summary>
    public static int Parse(ReadOnlySpan<byte> table, byte protocol, bool ipv6, List<(SocketEndpoints Socket, int Pid)> sockets)
    {
        ArgumentNullException.ThrowIfNull(sockets);
        if (table.Length < 4) return 0;
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(table);
        int rowSize = (protocol, ipv6) switch { (6, false) => TcpRowV4, (6, true) => TcpRowV6, (_, false) => UdpRowV4, (_, true) => UdpRowV6 };
        long fitting = (table.Length - 4) / rowSize;
        int rows = (int)Math.Min(count, fitting);
        for (int i = 0; i < rows; i++)
        {
            ReadOnlySpan<byte> row = table.Slice(4 + i * rowSize, rowSize);
            sockets.Add(protocol == 6 ? (ipv6 ? TcpV6(row) : TcpV4(row)) : (ipv6 ? UdpV6(row) : UdpV4(row)));
        }
        return (int)Math.Min(int.MaxValue, count - (uint)rows);
    }

    // Ports are DWORDs holding the port in network byte order in their first two bytes.
    private static ushort Port(ReadOnlySpan<byte> dword) => BinaryPrimitives.ReadUInt16BigEndian(dword);

    private static (SocketEndpoints, int) TcpV4(ReadOnlySpan<byte> row)
    {
        bool listening = BinaryPrimitives.ReadUInt32LittleEndian(row) == TcpStateListen;
        IpAddress128 local = SocketEndpoints.Unspecified(IpAddress128.FromIPv4(row.Slice(4, 4)));
        IpAddress128 remote = listening ? default : SocketEndpoints.Unspecified(IpAddress128.FromIPv4(row.Slice(12, 4)));
        return (new SocketEndpoints(6, local, Port(row[8..]), remote, listening ? (ushort)0 : Port(row[16..])), Pid(row[20..]));
    }

    private static (SocketEndpoints, int) TcpV6(ReadOnlySpan<byte> row)
    {
        bool listening = BinaryPrimitives.ReadUInt32LittleEndian(row[48..]) == TcpStateListen;
        IpAddress128 local = SocketEndpoints.Unspecified(IpAddress128.FromIPv6(row[..16]));
        IpAddress128 remote = listening ? default : SocketEndpoints.Unspecified(IpAddress128.FromIPv6(row.Slice(24, 16)));
        return (new SocketEndpoints(6, local, Port(row[20..]), remote, listening ? (ushort)0 : Port(row[44..])), Pid(row[52..]));
    }

    private static (SocketEndpoints, int) UdpV4(ReadOnlySpan<byte> row) =>
        (new SocketEndpoints(17, SocketEndpoints.Unspecified(IpAddress128.FromIPv4(row[..4])), Port(row[4..]), default, 0), Pid(row[8..]));

    private static (SocketEndpoints, int) UdpV6(ReadOnlySpan<byte> row) =>
        (new SocketEndpoints(17, SocketEndpoints.Unspecified(IpAddress128.FromIPv6(row[..16])), Port(row[20..]), default, 0), Pid(row[24..]));

    private static int Pid(ReadOnlySpan<byte> dword) => (int)Math.Min(int.MaxValue, BinaryPrimitives.ReadUInt32LittleEndian(dword));
}
