using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Gossip.Discovery;

/// <summary>
/// The payload of a beacon, inside the sealed envelope (which already carries and authenticates the sender's NodeId):
/// <code>
/// magic "FMDB" (4) | version 1 (1) | family 4 or 6 (1) | address (4 or 16) | gossip port (2, big-endian)
/// </code>
/// The magic keeps a gossip packet sealed with the same key from passing as a beacon if someone replays it to the
/// discovery port. An unspecified address (0.0.0.0, ::) means "the address this beacon came from", so a node
/// bound to all interfaces advertises the right address on each link.
/// </summary>
public static class DiscoveryBeacon
{
    private static ReadOnlySpan<byte> Magic => "FMDB"u8;
    public const byte Version = 1;
    private const int HeaderLength = 4 + 1 + 1;

    /// <summary>Longest possible payload (IPv6).</summary>
    public const int MaxPayloadLength = HeaderLength + 16 + 2;

    /// <summary>Longest possible sealed beacon: envelope overhead with a 64-byte node id plus the longest payload.</summary>
    public static int MaxSealedLength => SealedPacketLayout.Overhead(NodeId.MaxLength) + MaxPayloadLength;

    public static byte[] Encode(IPEndPoint gossip)
    {
        ArgumentNullException.ThrowIfNull(gossip);
        var address = gossip.Address.GetAddressBytes();
        var payload = new byte[HeaderLength + address.Length + 2];
        Magic.CopyTo(payload);
        payload[4] = Version;
        payload[5] = gossip.AddressFamily == AddressFamily.InterNetwork ? (byte)4 : (byte)6;
        address.CopyTo(payload.AsSpan(HeaderLength));
        BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(HeaderLength + address.Length), (ushort)gossip.Port);
        return payload;
    }

    /// <summary>
    /// Decodes an opened payload. Returns false for anything but an exact, sensible beacon: wrong magic or version,
    /// unknown family, wrong length, port 0, or a multicast/broadcast address nobody can gossip with.
    /// <paramref name="source"/> replaces an unspecified advertised address.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> payload, IPAddress source, out IPEndPoint? gossip)
    {
        gossip = null;
        if (payload.Length < HeaderLength || !payload[..4].SequenceEqual(Magic) || payload[4] != Version) return false;
        var addressLength = payload[5] switch { 4 => 4, 6 => 16, _ => -1 };
        if (addressLength < 0 || payload.Length != HeaderLength + addressLength + 2) return false;
        var address = new IPAddress(payload.Slice(HeaderLength, addressLength));
        var port = BinaryPrimitives.ReadUInt16BigEndian(payload[(HeaderLength + addressLength)..]);
        if (port == 0) return false;
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)) address = source.IsIPv4MappedToIPv6 ? source.MapToIPv4() : source;
        if (IsUnusable(address)) return false;
        gossip = new IPEndPoint(address, port);
        return true;
    }

    private static bool IsUnusable(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetworkV6) return address.IsIPv6Multicast || address.Equals(IPAddress.IPv6Any);
        var first = address.GetAddressBytes()[0];
        return first >= 224 || address.Equals(IPAddress.Any); // multicast, reserved and broadcast
    }
}
