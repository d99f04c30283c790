using System.Buffers.Binary;
using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Flows;

/// <summary>
/// Community ID flow hashing, version 1 (https://github.com/corelight/community-id-spec): a string
/// such as "1:LQU9qZlK+B5F3KDmev6m5PMibrg=" that two observation points compute identically for one
/// flow, so records from different tools and agents can be matched.
/// </summary>
/// <remarks>
/// Hash input, all big-endian: seed (2) | lower address (4 or 16) | higher address | protocol (1) |
/// 0 (1) | lower port (2) | higher port (2); the ports only for TCP, UDP, SCTP, ICMP and ICMPv6.
/// "Lower" orders by (address, port). For ICMP the ports are the initiator's type and either the
/// counterpart type (request/reply pairs, which are ordered like ports) or the code (one-way types,
/// kept in the initiator's direction). A flow of non-first IP fragments only (<see cref="FlowRecord.NonFirstFragmentsOnly"/>)
/// has no ports to hash, whatever its protocol: like Wireshark's dissector and the spec's reference implementation, it
/// is hashed as a protocol without ports.
/// </remarks>
public static class CommunityId
{
    private const int MaxInput = 2 + 16 + 16 + 1 + 1 + 2 + 2;

    /// <summary>Length of "1:" + base64 of a 20-byte digest.</summary>
    public const int Length = 30;

    public static string Compute(FlowRecord record, ushort seed)
    {
        Span<char> text = stackalloc char[Length];
        Format(record, seed, text);
        return new string(text);
    }

    /// <summary>Writes the Community ID into <paramref name="text"/> (at least <see cref="Length"/> chars) without allocating.</summary>
    public static void Format(FlowRecord record, ushort seed, Span<char> text)
    {
        ArgumentNullException.ThrowIfNull(record);
        byte protocol = record.Protocol;
        IpAddress128 source = record.SourceAddress;
        IpAddress128 destination = record.DestinationAddress;
        ushort sourcePort = record.SourcePort;
        ushort destinationPort = record.DestinationPort;
        bool hasPorts = true;
        bool oneWay = false;
        if (record.NonFirstFragmentsOnly)
        {
            hasPorts = false;
            sourcePort = destinationPort = 0;
        }
        else if (IpProtocol.IsIcmp(protocol))
        {
            sourcePort = record.IcmpType;
            oneWay = !IcmpTypes.TryGetCounterpart(protocol, record.IcmpType, out byte counterpart);
            destinationPort = oneWay ? record.IcmpCode : counterpart;
        }
        else if (!IpProtocol.HasPorts(protocol))
        {
            hasPorts = false;
            sourcePort = destinationPort = 0;
        }

        int order = source.CompareTo(destination);
        bool sourceFirst = oneWay || order < 0 || (order == 0 && sourcePort < destinationPort);
        if (!sourceFirst)
        {
            (source, destination) = (destination, source);
            (sourcePort, destinationPort) = (destinationPort, sourcePort);
        }

        Span<byte> input = stackalloc byte[MaxInput];
        BinaryPrimitives.WriteUInt16BigEndian(input, seed);
        int length = 2;
        length += source.WriteNetworkBytes(input[length..]);
        length += destination.WriteNetworkBytes(input[length..]);
        input[length++] = protocol;
        input[length++] = 0;
        if (hasPorts)
        {
            BinaryPrimitives.WriteUInt16BigEndian(input[length..], sourcePort);
            BinaryPrimitives.WriteUInt16BigEndian(input[(length + 2)..], destinationPort);
            length += 4;
        }

        Span<byte> digest = stackalloc byte[Sha1SingleBlock.DigestLength];
        Sha1SingleBlock.Hash(input[..length], digest);
        text[0] = '1';
        text[1] = ':';
        Convert.TryToBase64Chars(digest, text[2..], out _);
    }
}
