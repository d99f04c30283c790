using System.Globalization;
using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;

namespace Flowmesh.Agent.Output;

/// <summary>
/// The field names and value renderings shared by the JSON and CSV outputs: this is the record
/// contract other tools parse (see docs/flow-records.md), so both formats take it from one place.
/// </summary>
internal static class FlowFields
{
    public static readonly string[] Names =
    [
        "proto", "src_addr", "src_port", "dst_addr", "dst_port",
        "packets", "bytes", "rev_packets", "rev_bytes", "segments", "rev_segments",
        "start", "end", "tcp_flags", "icmp_type", "icmp_code", "end_reason", "community_id",
    ];

    /// <summary>"10.0.0.2:80", "[2001:db8::1]:443", or the bare address for protocols without ports.</summary>
    public static string Endpoint(string address, int port, bool hasPorts) =>
        !hasPorts ? address
        : address.Contains(':', StringComparison.Ordinal) ? $"[{address}]:{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}"
        : $"{address}:{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    public static string EndReason(FlowEndReason reason) => reason switch
    {
        FlowEndReason.IdleTimeout => "idle",
        FlowEndReason.ActiveTimeout => "active",
        FlowEndReason.EndOfFlow => "end",
        FlowEndReason.ForcedEnd => "forced",
        FlowEndReason.LackOfResources => "evicted",
        _ => "unknown",
    };

    public static string ProtocolName(byte protocol) => protocol switch
    {
        IpProtocol.Tcp => "TCP",
        IpProtocol.Udp => "UDP",
        IpProtocol.Icmp => "ICMP",
        IpProtocol.Icmpv6 => "ICMPv6",
        IpProtocol.Sctp => "SCTP",
        47 => "GRE",
        50 => "ESP",
        51 => "AH",
        _ => protocol.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>TCP flags as nfdump shows them: one letter per bit, a dot where unset, CWR first.</summary>
    public static string TcpFlagLetters(byte flags)
    {
        Span<char> letters = stackalloc char[8];
        const string names = "CEUAPRSF";
        for (int bit = 7, i = 0; bit >= 0; bit--, i++)
            letters[i] = (flags & (1 << bit)) != 0 ? names[i] : '.';
        return new string(letters);
    }
}
