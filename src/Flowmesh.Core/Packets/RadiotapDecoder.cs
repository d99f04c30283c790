using System.Buffers.Binary;

namespace Flowmesh.Core.Packets;

/// <summary>
/// Radiotap: a little-endian, self-describing header in front of an 802.11 frame. Only its
/// length and the Flags field matter here: Flags says whether the 802.11 header is padded.
/// </summary>
internal static class RadiotapDecoder
{
    private const int MinHeaderLength = 8;       // version, pad, length, first present word
    private const int FirstPresentOffset = 4;
    private const uint PresentTsft = 1u << 0;   // 8-byte TSF timer, 8-byte aligned, precedes Flags
    private const uint PresentFlags = 1u << 1;
    private const uint PresentExtended = 1u << 31; // another present word follows
    private const byte FlagDataPad = 0x20;

    public static DecodeFailure Decode(ReadOnlySpan<byte> frame, out int networkOffset, out NetworkLayer layer)
    {
        networkOffset = 0;
        layer = NetworkLayer.ByVersionNibble;
        if (frame.Length < MinHeaderLength) return DecodeFailure.TruncatedLinkHeader;
        if (frame[0] != 0) return DecodeFailure.NotIp; // only radiotap version 0 exists
        int length = BinaryPrimitives.ReadUInt16LittleEndian(frame[2..]);
        if (length < MinHeaderLength || length > frame.Length) return DecodeFailure.TruncatedLinkHeader;
        ReadOnlySpan<byte> header = frame[..length];

        uint firstPresent = BinaryPrimitives.ReadUInt32LittleEndian(header[FirstPresentOffset..]);
        // Fields start after the last present word; the chain is bounded by the header length.
        int fieldOffset = FirstPresentOffset;
        while ((BinaryPrimitives.ReadUInt32LittleEndian(header[fieldOffset..]) & PresentExtended) != 0)
        {
            fieldOffset += 4;
            if (fieldOffset + 4 > header.Length) return DecodeFailure.TruncatedLinkHeader;
        }
        fieldOffset += 4;

        bool padded = false;
        if ((firstPresent & PresentFlags) != 0)
        {
            if ((firstPresent & PresentTsft) != 0) fieldOffset = ((fieldOffset + 7) & ~7) + 8;
            if (fieldOffset >= header.Length) return DecodeFailure.TruncatedLinkHeader;
            padded = (header[fieldOffset] & FlagDataPad) != 0;
        }
        return Ieee80211Decoder.Decode(frame, length, padded, out networkOffset, out layer);
    }
}
