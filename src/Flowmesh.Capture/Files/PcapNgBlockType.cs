namespace Flowmesh.Capture.Files;

/// <summary>pcapng block type codes (draft-ietf-opsawg-pcapng) that the reader interprets.</summary>
internal static class PcapNgBlockType
{
    public const uint InterfaceDescription = 0x00000001;
    public const uint ObsoletePacket = 0x00000002;
    public const uint SimplePacket = 0x00000003;
    public const uint EnhancedPacket = 0x00000006;
    public const uint SectionHeader = 0x0A0D0D0A;
    public const uint ByteOrderMagic = 0x1A2B3C4D;
}
