using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;

namespace Flowmesh.Agent.Tests.Output;

internal static class FlowRecordSamples
{
    public static FlowRecord Tcp(long bytes = 1500, long startMicros = 1_700_000_000_123_456) => new()
    {
        Protocol = IpProtocol.Tcp,
        SourceAddress = IpAddress128.Parse("10.0.0.1"),
        SourcePort = 40000,
        DestinationAddress = IpAddress128.Parse("10.0.0.2"),
        DestinationPort = 80,
        Packets = 3,
        Bytes = bytes,
        ReversePackets = 2,
        ReverseBytes = 120,
        Segments = 7, // a GSO super-packet among them: segments differ from packets
        ReverseSegments = 2,
        StartMicros = startMicros,
        EndMicros = startMicros + 2_500_000,
        TcpFlags = 0x1B, // FIN SYN PSH ACK
        EndReason = FlowEndReason.EndOfFlow,
    };
}
