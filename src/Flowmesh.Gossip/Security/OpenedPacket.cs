namespace Flowmesh.Gossip.Security;

/// <summary>An authenticated, fresh packet: who sent it, when by its clock, its sequence number and the payload.</summary>
public sealed record OpenedPacket(NodeId Sender, DateTimeOffset SentAt, ulong Sequence, byte[] Payload);
