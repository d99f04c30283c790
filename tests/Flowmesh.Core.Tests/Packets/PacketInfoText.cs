using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Tests.Packets;

/// <summary>Renders every field of a PacketInfo, so a mismatch shows which field differs.</summary>
internal static class PacketInfoText
{
    public static string Describe(in PacketInfo p) =>
        $"v{p.IpVersion} {p.Source}:{p.SourcePort} -> {p.Destination}:{p.DestinationPort} proto={p.Protocol} " +
        $"len={p.IpLength} flags=0x{p.TcpFlags:X2} icmp={p.IcmpType}/{p.IcmpCode} nonfirst={p.IsNonFirstFragment} " +
        $"truncated={p.TransportTruncated} segments={p.Segments} ts={p.TimestampMicros}";
}
