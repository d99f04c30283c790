using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Flows;

/// <summary>
/// Direction-free 5-tuple: both directions of a conversation map to the same key. The endpoint
/// with the smaller (address, port) is <see cref="LowAddress"/>/<see cref="LowPort"/>.
/// ICMP and ICMPv6 flows have ports 0 (all ICMP between two hosts is one flow).
/// </summary>
public readonly struct FlowKey : IEquatable<FlowKey>
{
    public IpAddress128 LowAddress { get; }
    public IpAddress128 HighAddress { get; }
    public ushort LowPort { get; }
    public ushort HighPort { get; }
    public byte Protocol { get; }

    public FlowKey(IpAddress128 lowAddress, ushort lowPort, IpAddress128 highAddress, ushort highPort, byte protocol)
    {
        LowAddress = lowAddress;
        LowPort = lowPort;
        HighAddress = highAddress;
        HighPort = highPort;
        Protocol = protocol;
    }

    /// <summary>
    /// Normalizes a directed observation. <paramref name="sourceIsLow"/> tells whether the packet's
    /// source is the key's low endpoint, i.e. which direction the packet travels.
    /// </summary>
    public static FlowKey FromDirected(IpAddress128 source, ushort sourcePort, IpAddress128 destination, ushort destinationPort, byte protocol, out bool sourceIsLow)
    {
        int c = source.CompareTo(destination);
        sourceIsLow = c < 0 || (c == 0 && sourcePort <= destinationPort);
        return sourceIsLow
            ? new FlowKey(source, sourcePort, destination, destinationPort, protocol)
            : new FlowKey(destination, destinationPort, source, sourcePort, protocol);
    }

    public static FlowKey FromPacket(in PacketInfo packet, out bool sourceIsLow) =>
        FromDirected(packet.Source, packet.SourcePort, packet.Destination, packet.DestinationPort, packet.Protocol, out sourceIsLow);

    public bool Equals(FlowKey other) =>
        LowAddress == other.LowAddress && HighAddress == other.HighAddress &&
        LowPort == other.LowPort && HighPort == other.HighPort && Protocol == other.Protocol;

    public override bool Equals(object? obj) => obj is FlowKey other && Equals(other);

    public override int GetHashCode() =>
        HashCode.Combine(LowAddress.High, LowAddress.Low, HighAddress.High, HighAddress.Low, LowPort | (HighPort << 16), Protocol);

    public static bool operator ==(FlowKey left, FlowKey right) => left.Equals(right);
    public static bool operator !=(FlowKey left, FlowKey right) => !left.Equals(right);

    public override string ToString() => $"{Protocol} {LowAddress}:{LowPort} <-> {HighAddress}:{HighPort}";
}
