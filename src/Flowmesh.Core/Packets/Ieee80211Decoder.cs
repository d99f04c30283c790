using System.Buffers.Binary;

namespace Flowmesh.Core.Packets;

/// <summary>
/// IEEE 802.11 MAC frames. Only unprotected data frames carrying an LLC/SNAP EtherType can hold IP:
/// management and control frames, null-data frames and encrypted frames (Protected bit) are NotIp.
/// A-MSDU aggregates are NotIp too: one frame holds several packets and a decode yields one.
/// </summary>
internal static class Ieee80211Decoder
{
    private const int FrameControlLength = 2;
    private const int BaseDataHeaderLength = 24;   // FC, duration, 3 addresses, sequence control
    private const int FourthAddressLength = 6;     // ToDS and FromDS both set (WDS / mesh)
    private const int QosControlLength = 2;
    private const int HtControlLength = 4;

    private const int TypeData = 2;
    private const int SubtypeQosBit = 0x08;
    private const int SubtypeNoDataBit = 0x04;     // Null, CF-Ack, CF-Poll and their QoS forms carry no body
    private const byte FlagToDs = 0x01;
    private const byte FlagFromDs = 0x02;
    private const byte FlagProtected = 0x40;
    private const byte FlagOrder = 0x80;           // on QoS data frames: an HT Control field is present
    private const byte QosAmsduPresent = 0x80;

    /// <param name="offset">Where the 802.11 header starts (after radiotap).</param>
    /// <param name="paddedHeader">Radiotap's data-pad flag: the header is padded to a multiple of 4 bytes.</param>
    public static DecodeFailure Decode(ReadOnlySpan<byte> frame, int offset, bool paddedHeader, out int networkOffset, out NetworkLayer layer)
    {
        networkOffset = 0;
        layer = NetworkLayer.ByVersionNibble;
        if (frame.Length - offset < FrameControlLength) return DecodeFailure.TruncatedLinkHeader;
        ReadOnlySpan<byte> mac = frame[offset..];
        byte control = mac[0];
        byte flags = mac[1];
        int version = control & 0x03;
        int type = (control >> 2) & 0x03;
        int subtype = control >> 4;
        if (version != 0 || type != TypeData || (subtype & SubtypeNoDataBit) != 0) return DecodeFailure.NotIp;

        bool qos = (subtype & SubtypeQosBit) != 0;
        int headerLength = BaseDataHeaderLength;
        if ((flags & (FlagToDs | FlagFromDs)) == (FlagToDs | FlagFromDs)) headerLength += FourthAddressLength;
        int qosOffset = headerLength;
        if (qos) headerLength += QosControlLength;
        if (qos && (flags & FlagOrder) != 0) headerLength += HtControlLength;
        if (mac.Length < headerLength) return DecodeFailure.TruncatedLinkHeader;
        if ((flags & FlagProtected) != 0) return DecodeFailure.NotIp;
        if (qos && (mac[qosOffset] & QosAmsduPresent) != 0) return DecodeFailure.NotIp;
        if (paddedHeader) headerLength = (headerLength + 3) & ~3;

        int llcOffset = offset + headerLength;
        if (llcOffset > frame.Length) return DecodeFailure.TruncatedLinkHeader;
        if (!EtherTypeDecoder.TryDecodeSnap(frame, ref llcOffset, out ushort etherType, out DecodeFailure failure)) return failure;
        return EtherTypeDecoder.Decode(frame, etherType, llcOffset, out networkOffset, out layer);
    }
}
