namespace Flowmesh.Gossip.Security;

/// <summary>
/// An authenticated, fresh packet: who sent it, when by its clock, its sequence number and the payload, and when it
/// arrived by ours. SentAt and ReceivedAt on two clocks are what membership turns into clock offsets (the ack's
/// sealed timestamp is NTP's t3).
/// </summary>
public sealed record OpenedPacket(NodeId Sender, DateTimeOffset SentAt, ulong Sequence, byte[] Payload)
{
    public DateTimeOffset ReceivedAt { get; init; }
}
