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
