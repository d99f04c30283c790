using System.Buffers.Binary;

namespace Flowmesh.Core.Packets;

/// <summary>
/// BSD loopback headers: a 4-byte address family. DLT_NULL writes it in the capturing host's
/// byte order (unknown to the reader, so both are tried: the values are small and cannot be
/// confused); DLT_LOOP writes it in network order. IPv6's AF_INET6 differs per OS.
/// </summary>
internal static class LoopbackDecoder
{
    private const int HeaderLength = 4;
    private const uint AfInet = 2;
    private const uint AfInet6Linux = 10;
    private const uint AfInet6NetBsdOpenBsd = 24;
    private const uint AfInet6FreeBsd = 28;
    private const uint AfInet6Darwin = 30;

    public static DecodeFailure DecodeNull(ReadOnlySpan<byte> frame, out int networkOffset, out NetworkLayer layer)
    {
        networkOffset = HeaderLength;
        layer = NetworkLayer.ByVersionNibble;
        if (frame.Length < HeaderLength) return DecodeFailure.TruncatedLinkHeader;
        NetworkLayer little = FromFamily(BinaryPrimitives.ReadUInt32LittleEndian(frame));
        layer = little != NetworkLayer.ByVersionNibble ? little : FromFamily(BinaryPrimitives.ReadUInt32BigEndian(frame));
        return layer == NetworkLayer.ByVersionNibble ? DecodeFailure.NotIp : DecodeFailure.None;
    }

    public static DecodeFailure DecodeLoop(ReadOnlySpan<byte> frame, out int networkOffset, out NetworkLayer layer)
    {
        networkOffset = HeaderLength;
        layer = NetworkLayer.ByVersionNibble;
        if (frame.Length < HeaderLength) return DecodeFailure.TruncatedLinkHeader;
        layer = FromFamily(BinaryPrimitives.ReadUInt32BigEndian(frame));
        return layer == NetworkLayer.ByVersionNibble ? DecodeFailure.NotIp : DecodeFailure.None;
    }

    /// <summary>ByVersionNibble stands for "not an IP family" here.</summary>
    private static NetworkLayer FromFamily(uint family) => family switch
    {
        AfInet => NetworkLayer.Ipv4,
        AfInet6Linux or AfInet6NetBsdOpenBsd or AfInet6FreeBsd or AfInet6Darwin => NetworkLayer.Ipv6,
        _ => NetworkLayer.ByVersionNibble,
    };
}
