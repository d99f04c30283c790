namespace Flowmesh.Core.HostContext;

/// <summary>
/// What the PC's TCP stack measured on a flow's socket: smoothed RTT as the kernel keeps it (<c>srtt_us >> 3</c>), the
/// smallest and largest smoothed RTT sampled over the interval the flow's record or delta covers, and the segments it
/// retransmitted in that interval. Microseconds.
/// </summary>
public readonly record struct TcpPathStats(int SmoothedRttMicros, int MinRttMicros, int MaxRttMicros, long Retransmits);
