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

    private static readonly long s_minMicros = (DateTime.MinValue.Ticks - DateTime.UnixEpoch.Ticks) / 10;
    private static readonly long s_maxMicros = (DateTime.MaxValue.Ticks - DateTime.UnixEpoch.Ticks) / 10;

    /// <summary>
    /// RFC 3339, UTC, always six fractional digits. RFC 3339 years have four digits: a packet time
    /// outside 0001..9999 (captures with a broken clock or a misdeclared timestamp resolution exist)
    /// is shown at the nearest end of that range rather than failing the whole run.
    /// </summary>
    public static string Timestamp(long unixMicros)
    {
        Span<char> text = stackalloc char[TimestampLength];
        FormatTimestamp(unixMicros, text);
        return new string(text);
    }

    /// <summary>"2026-11-23T22:43:35.123456Z".</summary>
    public const int TimestampLength = 27;

    /// <summary>Writes <see cref="Timestamp"/> into <paramref name="destination"/> digit by digit: records are written by the million.</summary>
    public static void FormatTimestamp(long unixMicros, Span<char> destination)
    {
        var time = DateTime.UnixEpoch.AddTicks(Math.Clamp(unixMicros, s_minMicros, s_maxMicros) * 10);
        Digits(destination[..4], time.Year);
        destination[4] = '-';
        Digits(destination.Slice(5, 2), time.Month);
        destination[7] = '-';
        Digits(destination.Slice(8, 2), time.Day);
        destination[10] = 'T';
        Digits(destination.Slice(11, 2), time.Hour);
        destination[13] = ':';
        Digits(destination.Slice(14, 2), time.Minute);
        destination[16] = ':';
        Digits(destination.Slice(17, 2), time.Second);
        destination[19] = '.';
        Digits(destination.Slice(20, 6), (int)(time.Ticks % TimeSpan.TicksPerSecond / 10));
        destination[26] = 'Z';
    }

    private static void Digits(Span<char> destination, int value)
    {
        for (int i = destination.Length - 1; i >= 0; i--, value /= 10) destination[i] = (char)('0' + value % 10);
    }

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
