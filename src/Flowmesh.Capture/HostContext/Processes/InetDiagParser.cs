using System.Buffers.Binary;
using Flowmesh.Core.Packets;

namespace Flowmesh.Capture.HostContext.Processes;

/// <summary>
/// Parses the netlink messages a NETLINK_SOCK_DIAG dump returns (struct nlmsghdr + struct inet_diag_msg,
/// linux/inet_diag.h). The bytes come from the kernel, but they are parsed as if hostile: a truncated or garbled
/// message ends the batch and is counted, never read past.
/// </summary>
public static class InetDiagParser
{
    public const ushort MessageDone = 3;   // NLMSG_DONE
    public const ushort MessageError = 2;  // NLMSG_ERROR
    public const ushort SockDiagByFamily = 20;
    private const int NetlinkHeaderLength = 16;
    private const int InetDiagMessageLength = 72;
    private const byte AddressFamilyInet = 2;
    private const byte AddressFamilyInet6 = 10;
    private const byte TcpListen = 10;
    private const byte UdpUnconnected = 7; // UDP sockets without a peer report TCP_CLOSE

    /// <summary>What one receive buffer held.</summary>
    public enum Outcome
    {
        /// <summary>More messages follow in the next receive.</summary>
        More,
        /// <summary>NLMSG_DONE: the dump is complete.</summary>
        Done,
        /// <summary>NLMSG_ERROR, or a message that did not parse; what was read so far is kept.</summary>
        Failed,
    }

    /// <summary>Adds the sockets of <paramref name="buffer"/> (one recv) to <paramref name="sockets"/>.</summary>
    /// <param name="protocol">6 or 17: what was asked for (inet_diag_msg does not repeat it).</param>
    /// <param name="malformed">Incremented for each message that was cut short or inconsistent.</param>
    public static Outcome Parse(ReadOnlySpan<byte> buffer, byte protocol, List<InetDiagSocket> sockets, ref long malformed)
    {
        ArgumentNullException.ThrowIfNull(sockets);
        int offset = 0;
        while (offset < buffer.Length)
        {
            if (buffer.Length - offset < NetlinkHeaderLength)
            {
                malformed++;
                return Outcome.Failed;
            }
            ReadOnlySpan<byte> header = buffer[offset..];
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(header);
            ushort type = BinaryPrimitives.ReadUInt16LittleEndian(header[4..]);
            if (length < NetlinkHeaderLength || length > (uint)(buffer.Length - offset))
            {
                malformed++;
                return Outcome.Failed;
            }
            if (type == MessageDone) return Outcome.Done;
            if (type == MessageError) return Outcome.Failed;
            if (type == SockDiagByFamily)
            {
                if (length < NetlinkHeaderLength + InetDiagMessageLength || !TryRead(header[NetlinkHeaderLength..(int)length], protocol, out InetDiagSocket socket))
                    malformed++;
                else
                    sockets.Add(socket);
            }
            // NLMSG_ALIGN: messages start on 4-byte boundaries.
            int next = offset + (int)((length + 3) & ~3u);
            if (next <= offset) return Outcome.Failed;
            offset = next;
        }
        return Outcome.More;
    }

    private static bool TryRead(ReadOnlySpan<byte> message, byte protocol, out InetDiagSocket socket)
    {
        socket = default;
        byte family = message[0];
        byte state = message[1];
        // struct inet_diag_sockid at 4: sport, dport (big-endian), src[16], dst[16], if, cookie[2].
        ushort localPort = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        ushort remotePort = BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
        IpAddress128 local, remote;
        if (family == AddressFamilyInet)
        {
            local = SocketEndpoints.Unspecified(IpAddress128.FromIPv4(message.Slice(8, 4)));
            remote = SocketEndpoints.Unspecified(IpAddress128.FromIPv4(message.Slice(24, 4)));
        }
        else if (family == AddressFamilyInet6)
        {
            local = SocketEndpoints.Unspecified(IpAddress128.FromIPv6(message.Slice(8, 16)));
            remote = SocketEndpoints.Unspecified(IpAddress128.FromIPv6(message.Slice(24, 16)));
        }
        else return false;
        // After the sockid (48 bytes): expires, rqueue, wqueue, uid, inode.
        uint uid = BinaryPrimitives.ReadUInt32LittleEndian(message[64..]);
        ulong inode = BinaryPrimitives.ReadUInt32LittleEndian(message[68..]);
        // A listener or an unconnected UDP socket reports a zero peer: the wildcard entry.
        if (state == TcpListen || (protocol == 17 && state == UdpUnconnected && remotePort == 0))
        {
            remote = default;
            remotePort = 0;
        }
        socket = new InetDiagSocket(new SocketEndpoints(protocol, local, localPort, remote, remotePort), uid, inode, state);
        return true;
    }

    /// <summary>
    /// A dump request for every socket of one family and protocol (struct nlmsghdr + struct inet_diag_req_v2), as the
    /// kernel expects it: NLM_F_REQUEST | NLM_F_DUMP, all states.
    /// </summary>
    public static byte[] Request(byte family, byte protocol, uint sequence)
    {
        byte[] request = new byte[NetlinkHeaderLength + 56];
        BinaryPrimitives.WriteUInt32LittleEndian(request, (uint)request.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(request.AsSpan(4), SockDiagByFamily);
        BinaryPrimitives.WriteUInt16LittleEndian(request.AsSpan(6), 0x1 | 0x300); // NLM_F_REQUEST | NLM_F_DUMP
        BinaryPrimitives.WriteUInt32LittleEndian(request.AsSpan(8), sequence);
        request[16] = family;
        request[17] = protocol;
        BinaryPrimitives.WriteUInt32LittleEndian(request.AsSpan(20), uint.MaxValue); // idiag_states: all
        return request;
    }
}
