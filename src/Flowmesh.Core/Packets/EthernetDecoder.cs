using System.Buffers.Binary;

namespace Flowmesh.Core.Packets;

/// <summary>Ethernet II and IEEE 802.3 frames: two MAC addresses, then a type or length field.</summary>
internal static class EthernetDecoder
{
    private const int HeaderLength = 14;
    private const int TypeOffset = 12;

    public static DecodeFailure Decode(ReadOnlySpan<byte> frame, out int networkOffset, out NetworkLayer layer)
    {
        if (frame.Length < HeaderLength)
        {
            networkOffset = 0;
            layer = NetworkLayer.ByVersionNibble;
            return DecodeFailure.TruncatedLinkHeader;
        }
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(frame[TypeOffset..]);
        return EtherTypeDecoder.Decode(frame, type, HeaderLength, out networkOffset, out layer);
    }
}
