using System.Net;

namespace Flowmesh.Capture.Tests.Ebpf;

/// <summary>A direction-free 5-tuple normalized by the tests themselves (not by Flowmesh code): low = smaller (16-byte address, port).</summary>
internal readonly record struct ObservedFlow(byte Protocol, string Low, ushort LowPort, string High, ushort HighPort)
{
    public static ObservedFlow FromDirected(byte protocol, IPAddress source, ushort sourcePort, IPAddress destination, ushort destinationPort, out bool sourceIsLow)
    {
        byte[] s = source.MapToIPv6().GetAddressBytes();
        byte[] d = destination.MapToIPv6().GetAddressBytes();
        int c = ((ReadOnlySpan<byte>)s).SequenceCompareTo(d);
        sourceIsLow = c < 0 || (c == 0 && sourcePort <= destinationPort);
        return sourceIsLow
            ? new ObservedFlow(protocol, Text(source), sourcePort, Text(destination), destinationPort)
            : new ObservedFlow(protocol, Text(destination), destinationPort, Text(source), sourcePort);
    }

    private static string Text(IPAddress address) => (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();

    public override string ToString() => $"proto {Protocol} {Low}:{LowPort} <-> {High}:{HighPort}";
}

/// <summary>Packets and bytes per direction of one flow.</summary>
internal record struct DirectionalCounts(long LowToHighPackets, long LowToHighBytes, long HighToLowPackets, long HighToLowBytes)
{
    public readonly long Packets => LowToHighPackets + HighToLowPackets;
    public override readonly string ToString() =>
        $"low->high {LowToHighPackets} pkts {LowToHighBytes} B, high->low {HighToLowPackets} pkts {HighToLowBytes} B";
}
