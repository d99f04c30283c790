namespace Flowmesh.Core.Packets;

/// <summary>
/// Decodes one captured frame into a <see cref="PacketInfo"/> without allocating. Never throws on
/// any input: every way a frame can be unusable is a <see cref="DecodeFailure"/>.
/// </summary>
public static class PacketDecoder
{
    /// <summary>
    /// Decodes <paramref name="frame"/> (the captured bytes, possibly shorter than on the wire).
    /// On success fills every field of <paramref name="packet"/> except <see cref="PacketInfo.TimestampMicros"/>
    /// and returns <see cref="DecodeFailure.None"/>.
    /// </summary>
    public static DecodeFailure Decode(LinkType linkType, ReadOnlySpan<byte> frame, ref PacketInfo packet)
    {
        throw new NotImplementedException();
    }
}
