using Flowmesh.Core.Packets;

namespace Flowmesh.Agent.Drill;

/// <summary>
/// Which exact flows to fetch: those with an endpoint in <see cref="Network"/>/<see cref="PrefixLength"/> (an IPv4
/// address is IPv4-mapped, so a /24 is prefix length 96 + 24) whose epoch overlaps [From, To).
/// </summary>
internal sealed record FlowQuery(
    long FromMicros,
    long ToMicros,
    IpAddress128 Network,
    int PrefixLength,
    ushort? Port,
    byte? Protocol,
    int Limit)
{
    public const int MaxLimit = 1000;

    /// <summary>Broadest networks a drill-down may cover (IPv4 /8, IPv6 /32; issue 15): each member scans its flow
    /// log for the prefix, and 0.0.0.0/0 or ::/0 would read (and ship) everything. Checked by the API and by every
    /// member serving the query, so a member cannot make the others scan everything either.</summary>
    public const int MinIpv4Prefix = 8, MinIpv6Prefix = 32;

    /// <summary>Longest window a drill-down covers: the flow log keeps 24 h.</summary>
    public const long MaxWindowMicros = 24L * 3600 * 1_000_000;

    /// <summary>Null when the query is within the breadth caps, else why not.</summary>
    public string? Breadth()
    {
        // Any prefix that reaches into the IPv4-mapped range (::ffff:0:0/96) is held to the IPv4 cap, so an IPv6 prefix
        // such as ::fffe:0:0/95 cannot cover every IPv4 address either.
        var (low, high) = Range();
        bool v4 = low.CompareTo(IpAddress128.FromIPv4(uint.MaxValue)) <= 0 && high.CompareTo(IpAddress128.FromIPv4(0)) >= 0;
        if (v4 ? PrefixLength - 96 < MinIpv4Prefix : PrefixLength < MinIpv6Prefix)
            return $"too broad: a drill-down asks every member for its exact flows, so the network must be at least /{(v4 ? MinIpv4Prefix : MinIpv6Prefix)} ({(v4 ? "IPv4" : "IPv6")})";
        if (ToMicros - FromMicros > MaxWindowMicros) return "the window is longer than 24 hours";
        return null;
    }

    /// <summary>The lowest and highest address in the prefix (the prefix's host bits cleared / set).</summary>
    public (IpAddress128 Low, IpAddress128 High) Range()
    {
        int bits = Math.Clamp(PrefixLength, 0, 128);
        UInt128 value = ((UInt128)Network.High << 64) | Network.Low;
        UInt128 hostMask = bits == 128 ? UInt128.Zero : (bits == 0 ? UInt128.MaxValue : (UInt128.MaxValue >> bits));
        UInt128 low = value & ~hostMask, high = value | hostMask;
        return (new IpAddress128((ulong)(low >> 64), (ulong)low), new IpAddress128((ulong)(high >> 64), (ulong)high));
    }

    public bool IsValid =>
        FromMicros < ToMicros && PrefixLength is >= 0 and <= 128 && Limit is >= 1 and <= MaxLimit;
}
