namespace Flowmesh.Gossip.Membership;

/// <summary>
/// Who sealed a received packet and when, by the sealer's clock (the authenticated timestamp of the sealed envelope),
/// and when it arrived by ours. Membership turns the pair on a direct ack into a clock sample (NTP's t3 and t4).
/// </summary>
public readonly record struct PacketOrigin(NodeId Sender, DateTimeOffset SentAt, DateTimeOffset ReceivedAt);
