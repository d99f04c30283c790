using System.Net;

namespace Flowmesh.IntegrationTests.Comparison;

/// <summary>
/// One direction of one flow: protocol and both endpoints, in the order the packets travel.
/// Addresses are kept in canonical text (IPAddress.ToString) so both sides of a comparison agree
/// on spelling ("fd00::1" vs "fd00:0:0::1").
/// </summary>
public readonly record struct DirectedFlowKey(byte Protocol, string Source, ushort SourcePort, string Destination, ushort DestinationPort)
    : IComparable<DirectedFlowKey>
{
    public static DirectedFlowKey Create(byte protocol, string source, ushort sourcePort, string destination, ushort destinationPort) =>
        new(protocol, Canonical(source), sourcePort, Canonical(destination), destinationPort);

    public DirectedFlowKey Reversed => new(Protocol, Destination, DestinationPort, Source, SourcePort);

    public bool IsIpv6 => Source.Contains(':');

    public static string Canonical(string address) =>
        IPAddress.TryParse(address, out var parsed)
            ? parsed.ToString()
            : throw new FormatException($"not an IP address: '{address}'");

    public int CompareTo(DirectedFlowKey other)
    {
        int c = Protocol.CompareTo(other.Protocol);
        if (c == 0) c = string.CompareOrdinal(Source, other.Source);
        if (c == 0) c = SourcePort.CompareTo(other.SourcePort);
        if (c == 0) c = string.CompareOrdinal(Destination, other.Destination);
        if (c == 0) c = DestinationPort.CompareTo(other.DestinationPort);
        return c;
    }

    public override string ToString() => $"proto {Protocol} {Endpoint(Source, SourcePort)} -> {Endpoint(Destination, DestinationPort)}";

    private static string Endpoint(string address, ushort port) => address.Contains(':') ? $"[{address}]:{port}" : $"{address}:{port}";
}
