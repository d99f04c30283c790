using Flowmesh.Core.Packets;

namespace Flowmesh.Capture.Files;

/// <summary>What a pcapng Interface Description Block says about the packets that refer to it.</summary>
internal readonly record struct PcapNgInterface(LinkType LinkType, uint SnapLength, TimestampScale Scale, long OffsetMicros);
