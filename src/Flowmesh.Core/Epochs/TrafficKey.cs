using System.Buffers.Binary;
using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Epochs;

/// <summary>What a <see cref="TrafficKey"/> names, and so which of its fields mean something.</summary>
public enum TrafficKeyShape : byte
{
    /// <summary>One address.</summary>
    Address = 1,
    /// <summary>A directed pair of addresses (sender, receiver) or (initiator, responder).</summary>
    Pair = 2,
    /// <summary>A flow: protocol, initiator address and port, responder address and port.</summary>
    FiveTuple = 3,
}

/// <summary>
/// A key of a top-talker or spread answer, decoded from the fixed-length sketch key bytes. Byte layouts
/// (addresses as 16 bytes in network order, IPv4 mapped): address = 16 B; pair = source 16 B + destination 16 B;
/// five-tuple = protocol 1 B, source 16 B, source port 2 B (big-endian), destination 16 B, destination port 2 B.
/// </summary>
public readonly record struct TrafficKey(TrafficKeyShape Shape, IpAddress128 Source, IpAddress128 Destination, byte Protocol, ushort SourcePort, ushort DestinationPort)
{
    public const int AddressLength = 16;
    public const int PairLength = 32;
    public const int FiveTupleLength = 37;

    public static void WriteAddress(Span<byte> destination, IpAddress128 address)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, address.High);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], address.Low);
    }

    public static IpAddress128 ReadAddress(ReadOnlySpan<byte> source) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(source), BinaryPrimitives.ReadUInt64BigEndian(source[8..]));

    public static void WritePair(Span<byte> destination, IpAddress128 source, IpAddress128 target)
    {
        WriteAddress(destination, source);
        WriteAddress(destination[16..], target);
    }

    public static void WriteFiveTuple(Span<byte> destination, byte protocol, IpAddress128 source, ushort sourcePort, IpAddress128 target, ushort targetPort)
    {
        destination[0] = protocol;
        WriteAddress(destination[1..], source);
        BinaryPrimitives.WriteUInt16BigEndian(destination[17..], sourcePort);
        WriteAddress(destination[19..], target);
        BinaryPrimitives.WriteUInt16BigEndian(destination[35..], targetPort);
    }

    public static TrafficKey Decode(ReadOnlySpan<byte> key) => key.Length switch
    {
        AddressLength => new TrafficKey(TrafficKeyShape.Address, ReadAddress(key), default, 0, 0, 0),
        PairLength => new TrafficKey(TrafficKeyShape.Pair, ReadAddress(key), ReadAddress(key[16..]), 0, 0, 0),
        FiveTupleLength => new TrafficKey(TrafficKeyShape.FiveTuple, ReadAddress(key[1..]), ReadAddress(key[19..]), key[0],
            BinaryPrimitives.ReadUInt16BigEndian(key[17..]), BinaryPrimitives.ReadUInt16BigEndian(key[35..])),
        _ => throw new ArgumentException($"No traffic key is {key.Length} bytes long.", nameof(key)),
    };

    public override string ToString() => Shape switch
    {
        TrafficKeyShape.Address => Source.ToString(),
        TrafficKeyShape.Pair => $"{Source} -> {Destination}",
        _ => IpProtocol.HasPorts(Protocol)
            ? $"{Protocol} {Endpoint(Source, SourcePort)} -> {Endpoint(Destination, DestinationPort)}"
            : $"{Protocol} {Source} -> {Destination}",
    };

    private static string Endpoint(IpAddress128 address, ushort port) =>
        address.IsIPv4 ? $"{address}:{port}" : $"[{address}]:{port}";
}
